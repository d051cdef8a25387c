"""The privacy notice and the record of processing: public in both languages, filled in from
the configuration, edited per section and language by system admins only, always escaped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hubbar.extensions import db
from hubbar.privacy import pages
from hubbar.privacy.defaults import NOTICE, RECORD
from hubbar.privacy.models import SiteText
from tests.factories import (
    login,
    make_admin,
    make_evaluator,
    make_hub,
    make_hub_manager,
    make_org_admin,
    make_organisation,
    make_pilot,
    make_user,
)
from tests.helpers import STOCKHOLM, audit_events, count, location, text
from tests.helpers import snapshot as full_snapshot

NOTICE_SV = "/admin/privacy/notice/sv"
NOTICE_EN = "/admin/privacy/notice/en"


def english(client) -> None:
    client.post("/language", data={"locale": "en"})


def form_data(page: str, locale: str, **changes: str) -> dict[str, str]:
    """What the edit form sends when the admin changes ``changes`` (field name → text) and
    leaves every other text box as it was."""
    data = {
        f"text_{state.key.replace('.', '_')}": state.text
        for state in pages.section_states(page, locale)
    }
    data.update(changes)
    return data


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, but for what any request moves (the user's last-seen time and
    the login records)."""
    rows = full_snapshot()
    rows.pop("users")
    rows.pop("login_attempts", None)
    return rows


def stored(key: str, locale: str) -> SiteText | None:
    db.session.rollback()
    return db.session.get(SiteText, (key, locale))


@pytest.fixture()
def en_admin(client):
    """A system admin who reads hubbar in English (messages compare without the catalogue)."""
    user = make_admin(locale="en")
    login(client, user)
    return user


# --- public pages ------------------------------------------------------------------------------


def test_both_pages_are_public_in_swedish_by_default(client):
    notice = client.get("/privacy")
    assert notice.status_code == 200
    assert '<html lang="sv">' in notice.get_data(as_text=True)
    page = text(notice)
    for section in NOTICE:
        assert section.heading["sv"] in page
    assert "artikel 6.1 e" in page
    assert "Integritetsskyddsmyndigheten (IMY)" in page

    record = client.get("/privacy/record")
    assert record.status_code == 200
    page = text(record)
    for section in RECORD:
        assert section.heading["sv"] in page
    assert "Inga personuppgifter förs över till länder utanför EU/EES." in page


def test_both_pages_are_public_in_english(client):
    english(client)
    page = text(client.get("/privacy"))
    for section in NOTICE:
        assert section.heading["en"] in page
        assert section.heading["sv"] not in page
    assert "Article 6(1)(e)" in page
    page = text(client.get("/privacy/record"))
    for section in RECORD:
        assert section.heading["en"] in page


def test_a_signed_in_user_reads_the_pages_in_their_language(client):
    login(client, make_user(locale="en"))
    assert "Who sees what?" in text(client.get("/privacy"))


def test_the_record_has_a_table_of_contents_and_headings_in_order(client):
    html = client.get("/privacy/record").get_data(as_text=True)
    contents = re.search(r'<nav class="privacy-toc".*?</nav>', html, flags=re.S).group()
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert len(anchors) == len(RECORD)
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert "<script" not in html
    assert "style=" not in html


def test_every_page_links_to_both_pages_in_its_footer(client):
    for path in ("/login", "/privacy", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        footer = html[html.index('<footer class="site-footer">') :]
        assert 'href="/privacy"' in footer
        assert 'href="/privacy/record"' in footer


def test_default_texts_show_the_configured_figures(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HUBBAR_RETENTION_MONTHS", 18)
    monkeypatch.setitem(app.config, "HUBBAR_INACTIVE_ACCOUNT_MONTHS", 13)
    monkeypatch.setitem(app.config, "HUBBAR_DELETION_NOTICE_DAYS", 45)
    monkeypatch.setitem(app.config, "HUBBAR_SENT_MAIL_DAYS", 21)
    monkeypatch.setitem(app.config, "HUBBAR_SMALL_GROUP_K", 5)

    page = text(client.get("/privacy"))
    assert "kopplas bort från ditt konto efter 18 månader" in page
    assert "Har du inte använt tjänsten på 13 månader" in page
    assert "inom 45 dagar efter det" in page
    assert "sparas i 21 dagar" in page
    assert "Grupper med färre än 5 personer" in page
    assert "{" not in page

    page = text(client.get("/privacy/record"))
    assert "pseudonymiseras efter 18 månader" in page
    assert "kontot tas bort 45 dagar senare" in page

    english(client)
    page = text(client.get("/privacy"))
    assert "separated from your account after 18 months" in page
    assert "within 45 days after that" in page


def test_missing_configuration_falls_back_to_the_documented_defaults(app, client, monkeypatch):
    monkeypatch.delitem(app.config, "HUBBAR_RETENTION_MONTHS")
    monkeypatch.delitem(app.config, "HUBBAR_DELETION_NOTICE_DAYS")
    page = text(client.get("/privacy"))
    assert "efter 24 månader" in page
    assert "inom 30 dagar efter det" in page


def test_the_controller_section_names_the_host_organisations(client):
    page = text(client.get("/privacy"))
    assert "Värd för hubbarna är den organisation som äger lokalerna." in page

    make_hub(host=make_organisation(name="Stadsarkivet", code="SSA"))
    make_hub(host=make_organisation(name="Kulturförvaltningen", code="KuF"))
    make_hub(host=make_organisation(name="Nedlagda förvaltningen", code="NF"), active=False)
    page = text(client.get("/privacy"))
    assert "Värd för hubbarna är Kulturförvaltningen och Stadsarkivet." in page
    assert "Nedlagda" not in page
    english(client)
    assert "hosted by Kulturförvaltningen and Stadsarkivet." in text(client.get("/privacy"))


def test_the_default_pages_show_when_the_texts_were_written(client):
    page = text(client.get("/privacy"))
    assert "2026-11-24" in page


# --- editing -----------------------------------------------------------------------------------


def test_admin_sees_every_section_as_default_at_first(client, en_admin):
    response = client.get("/admin/privacy")
    assert response.status_code == 200
    page = text(response)
    for section in (*NOTICE, *RECORD):
        assert section.heading["en"] in page
    assert page.count(">Default text<") == 2 * (len(NOTICE) + len(RECORD))
    assert ">Edited<" not in page

    form = client.get(NOTICE_SV)
    assert form.status_code == 200
    html = text(form)
    # The text box holds the default text with its placeholders, ready to edit.
    assert "efter {retention_months} månader" in html
    assert 'lang="sv"' in html


def test_admin_edits_one_section_in_one_language_and_it_is_audited(client, en_admin):
    new = "Kulturförvaltningen is the controller.\n\nContact: dataskyddsombud@example.org"
    response = client.post(NOTICE_EN, data=form_data("notice", "en", text_notice_controller=new))
    assert response.status_code == 302
    assert location(response) == NOTICE_EN
    assert "Saved: 1 section changed." in text(client.get(NOTICE_EN))

    assert count(SiteText) == 1
    row = stored("notice.controller", "en")
    assert row.body == new
    assert row.updated_by_id == en_admin.id

    (event,) = audit_events("site_text.update")
    assert event.actor_id == en_admin.id
    assert event.object_type == "SiteText"
    assert "notice.controller (en)" in event.summary
    old, saved = event.changes["body"]
    assert old.startswith("hubbar is a service where you book desks")
    assert saved == new

    # The English page shows the edit; the Swedish page and the other sections are unchanged.
    page = text(client.get("/privacy"))
    assert "Contact: dataskyddsombud@example.org" in page
    assert "Who sees what?" in page
    assert "Colleagues see that a desk is booked" in page
    # The admin reads hubbar in English; read the Swedish page anonymously.
    anonymous = client.application.test_client()
    page = text(anonymous.get("/privacy"))
    assert "dataskyddsombud@example.org" not in page
    assert "Den organisation du arbetar i är personuppgiftsansvarig" in page


def test_saving_an_unchanged_form_changes_nothing(client, en_admin):
    before = snapshot()
    response = client.post(NOTICE_SV, data=form_data("notice", "sv"))
    assert response.status_code == 302
    assert "Nothing was changed." in text(client.get(NOTICE_SV))
    assert snapshot() == before


def test_windows_line_ends_and_trailing_spaces_are_not_a_change(client, en_admin):
    unchanged = form_data("notice", "sv")
    unchanged = {name: value.replace("\n", "\r\n") + "  \r\n" for name, value in unchanged.items()}
    client.post(NOTICE_SV, data=unchanged)
    assert count(SiteText) == 0
    client.post(NOTICE_SV, data={"text_notice_data": "Ny text\r\n\r\n- ett\r\n- två\r\n"})
    assert stored("notice.data", "sv").body == "Ny text\n\n- ett\n- två"


def test_admin_resets_a_section_to_the_default(client, en_admin):
    client.post(NOTICE_SV, data=form_data("notice", "sv", text_notice_rights="Egen text."))
    anonymous = client.application.test_client()
    assert "Egen text." in text(anonymous.get("/privacy"))
    form = text(client.get(NOTICE_SV))
    assert "Use the default text" in form
    assert "Show the default text" in form
    assert ">Edited<" in text(client.get("/admin/privacy"))

    response = client.post(
        NOTICE_SV,
        data=form_data("notice", "sv", text_notice_rights="Ignored.", reset_notice_rights="y"),
    )
    assert response.status_code == 302
    assert stored("notice.rights", "sv").body == ""  # kept, so the page's date still moves
    (event,) = audit_events("site_text.reset")
    assert event.changes["body"][0] == "Egen text."
    assert event.changes["body"][1].startswith("Du har rätt att")

    page = text(anonymous.get("/privacy"))
    assert "Egen text." not in page
    assert "Ignored." not in page
    assert "Du har rätt att" in page
    assert ">Edited<" not in text(client.get("/admin/privacy"))

    # Resetting a section that shows the default already changes nothing.
    before = snapshot()
    client.post(NOTICE_SV, data=form_data("notice", "sv", reset_notice_rights="y"))
    assert snapshot() == before


def test_the_page_shows_the_date_of_the_latest_edit(client, en_admin, monkeypatch):
    from datetime import date

    monkeypatch.setattr(pages, "DEFAULTS_UPDATED", date(2020, 1, 1))
    client.post("/admin/privacy/record/sv", data={"text_record_transfers": "Inga."})
    updated = stored("record.transfers", "sv").updated_at
    anonymous = client.application.test_client()
    html = anonymous.get("/privacy/record").get_data(as_text=True)
    day = updated.astimezone(STOCKHOLM).date().isoformat()
    assert f'<time datetime="{day}">{day}</time>' in html
    assert "2020-01-01" not in html


@pytest.mark.parametrize("who", ["employee", "hub_manager", "org_admin", "evaluator"])
def test_only_system_admins_may_edit(client, who):
    org = make_organisation()
    hub = make_hub(host=org)
    user = {
        "employee": lambda: make_user(org),
        "hub_manager": lambda: make_hub_manager(hub),
        "org_admin": lambda: make_org_admin(org),
        "evaluator": lambda: make_evaluator(make_pilot([hub])),
    }[who]()
    login(client, user)
    before = snapshot()
    assert client.get("/admin/privacy").status_code == 403
    assert client.get(NOTICE_SV).status_code == 403
    assert client.get("/admin/privacy/nowhere/xx").status_code == 403
    response = client.post(NOTICE_SV, data={"text_notice_controller": "Övertagen"})
    assert response.status_code == 403
    assert snapshot() == before
    assert client.get("/privacy").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ("/admin/privacy", NOTICE_SV):
        response = client.get(path)
        assert response.status_code == 302
        assert location(response).startswith("/login")
    response = client.post(NOTICE_SV, data={"text_notice_controller": "Övertagen"})
    assert response.status_code == 302
    assert count(SiteText) == 0


def test_the_admin_menu_links_to_the_privacy_texts(client, en_admin):
    assert 'href="/admin/privacy"' in client.get("/privacy").get_data(as_text=True)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/privacy/nowhere/sv", "/admin/privacy/notice/de", "/admin/privacy/notice/"]
)
def test_unknown_page_or_language_is_not_found(client, en_admin, path):
    before = snapshot()
    assert client.get(path).status_code == 404
    assert client.post(path, data={"text_notice_controller": "x"}).status_code == 404
    assert snapshot() == before


def test_unknown_page_and_language_say_so(client, en_admin):
    assert "There is no such page." in text(client.get("/admin/privacy/nowhere/sv"))
    assert "There is no such language." in text(client.get("/admin/privacy/notice/de"))


def test_an_unknown_section_is_refused_and_nothing_changes(client, en_admin):
    before = snapshot()
    response = client.post(
        NOTICE_SV,
        data=form_data("notice", "sv", text_notice_controller="Ny", text_record_purposes="x"),
    )
    assert response.status_code == 422
    assert "The page has no section “record_purposes”." in text(response)
    assert snapshot() == before


def test_a_too_long_text_is_refused_and_nothing_changes(client, en_admin):
    before = snapshot()
    response = client.post(
        NOTICE_SV,
        data=form_data(
            "notice", "sv", text_notice_controller="Ny text", text_notice_data="x" * 20_001
        ),
    )
    assert response.status_code == 422
    page = text(response)
    assert (
        "The text for “Vilka uppgifter sparar vi?” is 20001 characters long. "
        "It can be at most 20000." in page
    )
    assert 'class="field-error"' in page
    assert 'aria-invalid="true"' in page
    # The admin's typing is kept in the form, and nothing is saved.
    assert "Ny text" in page
    assert snapshot() == before

    response = client.post(NOTICE_SV, data={"text_notice_data": "x" * 20_000})
    assert response.status_code == 302
    assert len(stored("notice.data", "sv").body) == 20_000


@pytest.mark.parametrize("empty", ["", "   ", "\r\n\r\n"])
def test_an_empty_text_is_refused_not_read_as_the_default(client, en_admin, empty):
    client.post(NOTICE_SV, data={"text_notice_rights": "Egen text."})
    before = snapshot()
    response = client.post(NOTICE_SV, data=form_data("notice", "sv", text_notice_rights=empty))
    assert response.status_code == 422
    assert "Write a text for “Dina rättigheter”, or choose to use the default text." in text(
        response
    )
    assert snapshot() == before


def test_a_nul_character_is_refused(client, en_admin):
    before = snapshot()
    response = client.post(NOTICE_SV, data={"text_notice_rights": "a\x00b"})
    assert response.status_code == 400
    assert snapshot() == before


def test_save_page_refuses_unknown_sections_and_non_admins():
    from hubbar.errors import InvalidInput, NotAllowed, NotFound

    admin = make_admin()
    with pytest.raises(InvalidInput):
        pages.save_page(admin, "notice", "sv", {"record.purposes": "x"})
    with pytest.raises(InvalidInput):
        pages.save_page(admin, "notice", "sv", {}, {"notice.nothing"})
    with pytest.raises(NotFound):
        pages.save_page(admin, "notice", "fi", {"notice.data": "x"})
    with pytest.raises(NotAllowed):
        pages.save_page(make_user(), "notice", "sv", {"notice.data": "x"})
    assert count(SiteText) == 0


# --- rendering ---------------------------------------------------------------------------------


def test_html_in_a_text_is_escaped(client, en_admin):
    evil = '<script>alert(1)</script> <b onclick="x()">fet</b>\n\n- <img src=x onerror=alert(2)>'
    client.post(NOTICE_EN, data={"text_notice_data": evil})
    html = client.get("/privacy").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<b onclick" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<li>&lt;img src=x onerror=alert(2)&gt;</li>" in html
    # The edit form shows the text as typed, escaped too.
    assert "<script>alert" not in client.get(NOTICE_EN).get_data(as_text=True)


def test_lists_paragraphs_and_links_render(client, en_admin):
    body = (
        "Contact us:\n"
        "Box 22000\n"
        "\n"
        "- first item\n"
        "- see https://www.imy.se/.\n"
        "After the list.\n"
        "\n"
        "Not links: http://example.org javascript:alert(1) https:// and "
        "(https://example.org/a_(b))"
    )
    client.post(NOTICE_EN, data={"text_notice_rights": body})
    html = client.get("/privacy").get_data(as_text=True)
    assert "<p>Contact us:<br>\nBox 22000</p>" in html
    assert (
        "<ul>\n<li>first item</li>\n"
        '<li>see <a href="https://www.imy.se/">https://www.imy.se/</a>.</li>\n</ul>'
        "\n<p>After the list.</p>"
    ) in html
    assert '<a href="http://example.org' not in html
    assert 'href="javascript' not in html
    assert '(<a href="https://example.org/a_(b)">https://example.org/a_(b)</a>)' in html
    assert "https:// and" in html


def test_the_default_notice_links_to_imy(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert '<a href="https://www.imy.se/">https://www.imy.se/</a>' in html


def test_placeholders_in_an_edit_are_filled_and_unknown_braces_kept(app, client, en_admin):
    client.post(
        NOTICE_EN, data={"text_notice_retention": "After {retention_months} months. {nothing}"}
    )
    assert "After 24 months. {nothing}" in text(client.get("/privacy"))


def test_to_html_of_edge_cases():
    assert pages.to_html("") == ""
    assert pages.to_html("-not an item\n- an item") == (
        "<p>-not an item</p>\n<ul>\n<li>an item</li>\n</ul>"
    )
    assert pages.to_html("a & b") == "<p>a &amp; b</p>"
    assert pages.to_html('https://x.org/?a=1&b="2"') == (
        '<p><a href="https://x.org/?a=1&amp;b=">https://x.org/?a=1&amp;b=</a>&#34;2&#34;</p>'
    )


def test_every_section_has_both_languages_and_only_known_placeholders():
    for section in (*NOTICE, *RECORD):
        assert len(section.key) <= 60
        for locale in ("sv", "en"):
            assert section.heading[locale].strip()
            body = section.body[locale]
            assert pages.normalise(body) == body
            assert set(re.findall(r"\{(\w+)\}", body)) <= set(pages.PLACEHOLDERS)
    assert db.session.scalars(select(SiteText)).first() is None
