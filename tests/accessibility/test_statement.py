"""The accessibility statement: public in both languages with the sections DIGG asks for, and a
form that e-mails a report to every active system administrator, audited, checked and limited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hubbar import create_app
from hubbar.accessibility import operations as ops
from hubbar.accounts.models import LoginAttempt
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage
from tests.factories import login, make_admin, make_hub, make_organisation, make_user
from tests.helpers import audit_events, count, field_error, snapshot, text

DIGG_URL = "https://www.digg.se/anmal-bristande-tillganglighet"

SECTIONS_SV = (
    "Hur tillgänglig är webbplatsen?",
    "Vad kan du göra om du inte kan använda delar av webbplatsen?",
    "Rapportera brister i webbplatsens tillgänglighet",
    "Tillsyn",
    "Teknisk information om webbplatsens tillgänglighet",
    "Innehåll som inte är tillgängligt",
    "Hur vi testat webbplatsen",
)
SECTIONS_EN = (
    "How accessible is the website?",
    "What can you do if you cannot use parts of the website?",
    "Report problems with the website's accessibility",
    "Enforcement procedure",
    "Technical information about the website's accessibility",
    "Content that is not accessible",
    "How we tested the website",
)

REPORT = {
    "where": "Boka en plats",
    "description": "Skärmläsaren läser inte upp knappen Boka.\nJag använder NVDA.",
    "email": "Kerstin@Example.org",
}


def english(client) -> None:
    client.post("/language", data={"locale": "en"})


def headings(html: str) -> list[tuple[int, str]]:
    return [
        (int(level), re.sub(r"<[^>]+>", "", inner).strip())
        for level, inner in re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html, flags=re.S)
    ]


def status_messages(response) -> str:
    """The text of the page's role="status" region (where confirmations are announced)."""
    match = re.search(r'<div role="status"[^>]*>(.*?)</div>', text(response), flags=re.S)
    return match.group(1) if match else ""


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- the page ----------------------------------------------------------------------------------


def test_the_statement_is_public_in_swedish_with_every_section_digg_asks_for(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html
    shown = [heading for _level, heading in headings(text(response))]
    for section in SECTIONS_SV:
        assert section in shown
    page = text(response)
    assert "delvis förenlig" in page
    assert "WCAG 2.1" in page and "EN 301 549" in page
    assert f'href="{DIGG_URL}"' in html
    assert '<time datetime="2026-11-24">2026-11-24</time>' in html
    assert "Rapportera en brist" in shown


def test_the_statement_is_public_in_english(client):
    make_hub(host=make_organisation(name="Stadsarkivet"))
    english(client)
    response = client.get("/accessibility")
    assert response.status_code == 200
    assert '<html lang="en">' in response.get_data(as_text=True)
    shown = [heading for _level, heading in headings(text(response))]
    for section in SECTIONS_EN:
        assert section in shown
    for section in SECTIONS_SV:
        assert section not in shown
    page = text(response)
    assert "partially compliant" in page
    assert "hubbar is run by Stadsarkivet." in page  # the public actor behind the service
    assert "not tagged PDF (PDF/UA)" in page
    assert "axe-core" in page
    assert f'href="{DIGG_URL}"' in response.get_data(as_text=True)
    assert "Report a problem" in shown


def test_a_logged_in_user_reads_it_too(client):
    login(client, make_user(locale="en"))
    assert "How we tested the website" in text(client.get("/accessibility"))


def test_headings_in_order_contents_that_work_and_no_inline_script_or_style(client):
    html = client.get("/accessibility").get_data(as_text=True)
    levels = [level for level, _heading in headings(html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    contents = re.search(r'<nav class="privacy-toc".*?</nav>', html, flags=re.S).group()
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert len(anchors) == 7
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    assert "<script" not in html
    assert "style=" not in html


def test_the_form_has_labels_and_hints_tied_to_its_fields(client):
    html = client.get("/accessibility").get_data(as_text=True)
    for name in ("where", "description", "email"):
        assert f'<label for="{name}">' in html
        assert re.search(rf'aria-describedby="{name}-hint"[^>]*id="{name}"', html)
    assert 'type="email"' in html


def test_every_page_links_to_the_statement_in_its_footer(client):
    for path in ("/login", "/privacy", "/accessibility", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        footer = html[html.index('<footer class="site-footer">') :]
        assert 'href="/accessibility"' in footer
    footer = client.get("/accessibility").get_data(as_text=True).split("site-footer")[1]
    assert 'href="/accessibility" aria-current="page"' in footer


# --- reporting a problem -----------------------------------------------------------------------


def test_a_report_is_mailed_to_every_active_admin_and_audited(client):
    swedish_admin = make_admin(locale="sv")
    english_admin = make_admin(locale="en")
    make_admin(active=False)
    make_user()  # not an admin: gets nothing
    english(client)

    response = client.post("/accessibility", data=REPORT)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accessibility")
    confirmation = status_messages(client.get("/accessibility"))
    assert "Your report has been sent" in confirmation
    assert "within 14 days" in confirmation

    messages = outbox()
    assert sorted(m.recipient for m in messages) == sorted(
        [swedish_admin.email, english_admin.email]
    )
    assert {m.kind for m in messages} == {"accessibility_report"}
    by_recipient = {m.recipient: m for m in messages}
    assert by_recipient[swedish_admin.email].locale == "sv"
    mail = by_recipient[english_admin.email]
    assert mail.locale == "en"
    assert mail.subject == "Accessibility problem reported in hubbar"
    for body in (mail.text_body, mail.html_body):
        assert "Skärmläsaren läser inte upp knappen Boka." in body
        assert "Jag använder NVDA." in body
        assert "Boka en plats" in body
        assert "kerstin@example.org" in body  # normalised
        assert "A visitor who was not logged in" in body
        assert "within 14 days" in body
        assert "/accessibility" in body
    assert "Skärmläsaren läser inte upp knappen Boka.<br>" in mail.html_body

    [event] = audit_events("accessibility.report")
    assert event.actor_id is None
    assert event.changes["recipients"] == 2
    assert event.changes["reply_wanted"] is True
    assert event.changes["locale"] == "en"
    assert "Skärmläsaren" not in event.summary + str(event.changes)  # the text stays out


def test_a_report_without_an_address_expects_no_answer(client):
    admin = make_admin(locale="en")
    english(client)

    response = client.post(
        "/accessibility", data={"description": "The map is too small."}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "you will get no answer" in status_messages(response)
    [mail] = outbox()
    assert mail.recipient == admin.email
    assert "No answer wanted" in mail.text_body
    assert "expects no answer" in mail.text_body
    [event] = audit_events("accessibility.report")
    assert event.changes["reply_wanted"] is False


def test_a_logged_in_reporter_is_named_to_the_admins_and_in_the_log(client):
    make_admin(locale="en")
    user = make_user(display_name="Kerstin Ek")
    login(client, user)

    assert client.post("/accessibility", data=REPORT).status_code == 302

    [mail] = outbox()
    assert "Kerstin Ek (logged in)" in mail.text_body
    [event] = audit_events("accessibility.report")
    assert event.actor_id == user.id
    assert event.changes["locale"] == "sv"


def test_the_report_is_escaped_in_the_html_mail(client):
    make_admin(locale="en")
    client.post("/accessibility", data={"description": '<img src=x onerror="alert(1)">'})
    [mail] = outbox()
    assert "<img" not in mail.html_body
    assert "&lt;img src=x" in mail.html_body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"description": ""}, "description", "Describe the problem."),
        ({"description": "   \n  "}, "description", "Describe the problem."),
        ({"description": "x" * 5001}, "description", "Write at most 5000 characters."),
        ({"description": "Fel", "where": "x" * 201}, "where", "Write at most 200 characters."),
        ({"description": "Fel", "email": "not an address"}, "email", "Enter a valid e-mail"),
        ({"description": "Fel", "email": "a@b@example.org"}, "email", "Enter a valid e-mail"),
        ({"description": "Fel", "email": "x" * 250 + "@example.org"}, "email", "valid e-mail"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(client, data, field, message):
    make_admin()
    english(client)
    before = snapshot()

    response = client.post("/accessibility", data=data)

    assert response.status_code == 422
    assert field_error(response, message)
    html = response.get_data(as_text=True)
    assert 'class="error-summary" role="alert"' in html
    assert f'href="#{field}"' in html  # the summary links to the field
    assert re.search(rf'aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html)
    assert snapshot() == before


def test_the_form_keeps_what_was_typed_when_refused(client):
    make_admin()
    response = client.post(
        "/accessibility", data={"description": "Knappen syns inte", "email": "fel"}
    )
    assert response.status_code == 422
    assert "Knappen syns inte" in text(response)


def test_no_admin_to_tell_is_a_clear_message_and_nothing_is_saved(client):
    make_admin(active=False)
    english(client)
    before = snapshot()

    response = client.post("/accessibility", data=REPORT)

    assert response.status_code == 503
    assert "nobody is set up to receive it" in text(response)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert snapshot() == before


# --- the limit ---------------------------------------------------------------------------------


def test_five_reports_an_hour_from_one_address_then_a_clear_refusal(client):
    make_admin()
    english(client)
    for _n in range(ops.PER_SENDER):
        assert client.post("/accessibility", data=REPORT).status_code == 302

    before = snapshot()
    response = client.post("/accessibility", data=REPORT)

    assert response.status_code == 429
    assert "Your report was not sent" in text(response)
    assert REPORT["description"].split("\n")[0] in text(response)  # nothing typed is lost
    assert snapshot() == before
    assert count(OutboxMessage) == ops.PER_SENDER
    assert len(audit_events("accessibility.report")) == ops.PER_SENDER

    # Another address is not held back by this one.
    other = client.post("/accessibility", data=REPORT, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302
    assert count(OutboxMessage) == ops.PER_SENDER + 1


def test_the_limit_counts_the_last_hour_only(client):
    from datetime import timedelta

    from hubbar.db import utcnow

    make_admin()
    for _n in range(ops.PER_SENDER):
        ops.submit_report(
            "", "Gammal rapport", "", reporter=None, address="127.0.0.1", now=utcnow()
        )
    # Move the counted reports back more than an hour.
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.attempted_at = utcnow() - timedelta(minutes=61)
    db.session.commit()

    assert client.post("/accessibility", data=REPORT).status_code == 302


def test_logged_in_staff_behind_one_address_have_a_limit_each(client):
    make_admin()
    for _n in range(ops.PER_SENDER):
        assert client.post("/accessibility", data=REPORT).status_code == 302
    assert client.post("/accessibility", data=REPORT).status_code == 429

    login(client, make_user())
    assert client.post("/accessibility", data=REPORT).status_code == 302


def test_a_limit_on_all_reports_together(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HUBBAR_ACCESSIBILITY_REPORTS_IN_ALL", 2)
    make_admin()
    english(client)
    for address in ("10.0.0.1", "10.0.0.2"):
        response = client.post("/accessibility", data=REPORT, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 302

    before = snapshot()
    response = client.post("/accessibility", data=REPORT, environ_base={"REMOTE_ADDR": "10.0.0.3"})

    assert response.status_code == 429
    assert "Very many reports" in text(response)
    assert snapshot() == before


def test_reports_never_count_as_failed_logins(client):
    user = make_user()
    make_admin()
    for _n in range(ops.PER_SENDER):
        client.post("/accessibility", data=REPORT)
    db.session.rollback()
    assert all(a.succeeded for a in db.session.scalars(select(LoginAttempt)))
    assert login(client, user).status_code == 302


# --- CSRF --------------------------------------------------------------------------------------


@pytest.fixture()
def protected_app(database_url):
    """A second app on the same (already migrated) database, with CSRF protection on."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "csrf-test-secret",
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_form_is_sent_with_its_csrf_token(protected_app):
    make_admin()
    client = protected_app.test_client()

    assert client.post("/accessibility", data=REPORT).status_code == 400
    assert count(OutboxMessage) == 0

    html = client.get("/accessibility").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    token = token or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert token, "the report form carries a CSRF token"
    response = client.post("/accessibility", data={**REPORT, "csrf_token": token.group(1)})
    assert response.status_code == 302
    assert count(OutboxMessage) == 1
