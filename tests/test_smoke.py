from tests.factories import login, make_admin


def test_login_page_in_swedish(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="sv"' in response.text


def test_admin_pages_render(client):
    admin = make_admin()
    login(client, admin)
    for url in [
        "/",
        "/hubs",
        "/admin/organisations",
        "/admin/users",
        "/admin/hubs",
        "/admin/audit",
        "/admin/users/import",
        "/profile",
        "/manage/hubs",
        "/pilots",
    ]:
        assert client.get(url).status_code == 200, url
