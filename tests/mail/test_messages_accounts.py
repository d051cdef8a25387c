"""The e-mails of accounts and pilots: the invitation an administrator creates, the report of a
pilot being ready, a pilot ending within a week; and the page where a user turns the optional
ones off."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from hubbar import jobs
from hubbar.accounts.models import User
from hubbar.extensions import db
from hubbar.mail import messages
from hubbar.mail import operations as mail
from hubbar.mail.models import OutboxMessage
from hubbar.pilots.models import PilotReport, PilotStatus
from tests.bookings.clock import at, frozen
from tests.factories import login, make_admin, make_evaluator, make_organisation, make_pilot
from tests.helpers import count, reload, sv


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def send_due():
    return mail.send_due(now=at("2027-01-01", "12:00"))


# --- invitation ------------------------------------------------------------------------------


def test_the_invitation_is_e_mailed_and_its_link_works(app, client, smtp_server):
    org = make_organisation()
    login(client, make_admin(display_name="Maja Lind"))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "sara@example.org",
            "display_name": "Sara Nyström",
            "organisation_id": org.id,
            "locale": "en",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert sv("The link is e-mailed to %(email)s.", email="sara@example.org") in response.get_data(
        as_text=True
    )
    send_due()
    [message] = smtp_server.messages
    assert message["To"] == "sara@example.org"
    assert message["Subject"] == "Your invitation to hubbar"
    body = plain(message)
    assert body.startswith("Welcome to hubbar\n")
    assert "Maja Lind has invited you to hubbar." in body
    assert "The link works once, for 14 days." in body
    link = re.search(r"Choose a password:\nhttp://localhost:5000(/invitation/\S+)\n", body)
    assert link, body

    person = app.test_client()
    answer = person.post(
        link.group(1), data={"password": "ett långt lösenord", "confirm": "ett långt lösenord"}
    )
    assert answer.status_code == 302
    sara = db.session.scalar(select(User).where(User.email == "sara@example.org"))
    assert reload(sara).has_password


def test_a_new_password_link_for_a_swedish_user(app, client, smtp_server):
    from tests.factories import make_user

    login(client, make_admin())
    erik = make_user(email="erik@example.org", locale="sv")
    assert client.post(f"/admin/users/{erik.id}/invitation").status_code == 200
    send_due()
    [message] = smtp_server.messages
    assert message["To"] == "erik@example.org"
    assert message["Content-Language"] == "sv"
    assert f"{sv('E-mail address')}: erik@example.org" in plain(message)
    assert "/invitation/" in plain(message)


# --- pilots ----------------------------------------------------------------------------------


@frozen("2026-11-02", "06:00")
def test_report_ready_goes_to_each_evaluator_unless_turned_off(app, smtp_server):
    pilot = make_pilot(name="Kungsklippan hösten 2026")  # 1 September – 31 October 2026
    make_evaluator(pilot, email="eva@example.org", locale="en")
    quiet = make_evaluator(pilot, email="olle@example.org")
    mail.set_preferences(quiet, {"report_ready"})
    assert jobs.generate_pilot_reports(app) == 1
    report = db.session.scalar(select(PilotReport))
    mail.send_due()
    [message] = smtp_server.messages
    assert message["To"] == "eva@example.org"
    assert message["Subject"] == "Report ready: Kungsklippan hösten 2026"
    body = plain(message)
    assert "Version 1 of the evaluation report of Kungsklippan hösten 2026 is ready." in body
    assert "Period: 2026-09-01 – 2026-10-31\n" in body
    assert f"Read the report:\nhttp://localhost:5000/pilots/{pilot.id}/report?version=1\n" in body
    assert count(OutboxMessage, OutboxMessage.user_id == quiet.id) == 0
    assert reload(report).version == 1


def test_pilot_ending_soon_once_per_end_date(app, smtp_server):
    pilot = make_pilot(name="Vårpiloten", status=PilotStatus.RUNNING)  # ends 31 October 2026
    eva = make_evaluator(pilot, email="eva@example.org", locale="en")
    assert messages.pilot_ending_soon(date(2026, 10, 23)) == 0  # eight days before
    assert messages.pilot_ending_soon(date(2026, 10, 24)) == 1  # seven days before
    assert messages.pilot_ending_soon(date(2026, 10, 25)) == 0
    with frozen("2026-10-26", "08:00"):
        assert jobs.pilot_ending_soon(app) == 0
    send_due()
    [message] = smtp_server.messages
    assert message["To"] == "eva@example.org"
    assert message["Subject"] == "Vårpiloten ends on 2026-10-31"
    assert "Vårpiloten ends on 2026-10-31. The evaluation report is made the day after." in plain(
        message
    )

    pilot.end_date = date(2026, 11, 6)  # extended: a new end date is told again
    db.session.commit()
    assert messages.pilot_ending_soon(date(2026, 10, 30)) == 1
    queued = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    assert [m.dedupe_key for m in queued] == [
        f"pilot_ending:{pilot.id}:2026-10-31:{eva.id}",
        f"pilot_ending:{pilot.id}:2026-11-06:{eva.id}",
    ]


def test_pilot_ending_soon_not_for_an_ended_pilot_or_who_turned_it_off(app):
    ended = make_pilot(status=PilotStatus.ENDED)
    make_evaluator(ended)
    running = make_pilot(status=PilotStatus.RUNNING)
    quiet = make_evaluator(running)
    mail.set_preferences(quiet, {"pilot_ending"})
    assert messages.pilot_ending_soon(date(2026, 10, 28)) == 0
    assert count(OutboxMessage) == 0


# --- preferences page ------------------------------------------------------------------------


def test_the_preferences_page_turns_optional_messages_off_and_on(app, client):
    from tests.factories import make_user

    anna = make_user(locale="en")
    login(client, anna)
    page = client.get("/profile/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A reminder the afternoon before a booking" in html
    assert "pilot I evaluate" not in html  # not an evaluator
    for kind in ("reminder", "checkin_reminder"):  # all on to begin with
        assert re.search(rf'<input[^>]*checked[^>]*value="{kind}"', html)
    assert 'value="released"' not in html  # the released notice always comes
    assert "notices of released bookings" in html
    assert '<a href="/profile/mail">' in client.get("/profile").get_data(as_text=True)

    response = client.post("/profile/mail", data={"wanted": ["checkin_reminder"]})
    assert response.status_code == 302
    assert reload(anna).mail_off == "reminder"
    assert not mail.wants(anna, "reminder") and mail.wants(anna, "checkin_reminder")

    response = client.post("/profile/mail", data={})
    assert reload(anna).mail_off == "checkin_reminder,reminder"

    refused = client.post("/profile/mail", data={"wanted": ["booking_confirmed"]})
    assert refused.status_code == 422
    assert reload(anna).mail_off == "checkin_reminder,reminder"


def test_a_stored_choice_that_is_no_longer_offered_does_not_break_the_page(app, client):
    """The released notice could be turned off once; such a setting is dropped on saving."""
    from tests.factories import make_user

    anna = make_user(locale="en", mail_off="released")
    login(client, anna)
    assert client.get("/profile/mail").status_code == 200
    response = client.post("/profile/mail", data={"wanted": ["checkin_reminder"]})
    assert response.status_code == 302
    assert reload(anna).mail_off == "reminder"


def test_an_evaluator_also_chooses_the_pilot_messages(app, client):
    pilot = make_pilot()
    eva = make_evaluator(pilot, locale="sv", mail_off="reminder")
    login(client, eva)
    page = client.get("/profile/mail")
    html = page.get_data(as_text=True)
    assert 'value="pilot_ending"' in html and 'value="report_ready"' in html
    assert re.search(r'<input[^>]*checked[^>]*value="checkin_reminder"', html)
    assert not re.search(r'<input[^>]*checked[^>]*value="reminder"', html)
    client.post("/profile/mail", data={"wanted": ["reminder", "checkin_reminder"]})
    assert reload(eva).mail_off == "pilot_ending,report_ready"


def test_the_preferences_page_needs_a_login(client):
    response = client.get("/profile/mail")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
