"""Erasing an account and the retention rules: the person goes, the statistics stay."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hubbar.accounts.models import LoginAttempt, Role, User
from hubbar.audit.models import AuditEvent
from hubbar.bookings.models import Booking, BookingStatus, person_of
from hubbar.extensions import db
from hubbar.mail.models import OutboxMessage, OutboxStatus
from hubbar.occupancy.metrics import compute
from hubbar.occupancy.operations import pseudonym
from hubbar.privacy import operations as ops
from tests.bookings.clock import at
from tests.factories import login, make_admin, make_org_admin, make_organisation, make_user
from tests.helpers import count, location, snapshot
from tests.occupancy.conftest import book, hub_with_desks

MON, FRI = date(2026, 3, 2), date(2026, 3, 6)
NOW = at("2026-03-04", "12:00")  # Wednesday of that week
LATER = at("2026-04-01", "12:00")


def figures(hub, first=MON, last=FRI, now=LATER) -> dict:
    """Every figure and table of the week, as plain values."""
    result = compute([hub], first, last, now=now)
    return {
        "metrics": {key: metric.value for key, metric in result.metrics.items()},
        "days": [tuple(vars(row).values()) for row in result.days],
        "organisations": [tuple(vars(row).values()) for row in result.organisations],
        "desks": [tuple(vars(row).values()) for row in result.desks],
        "lead_times": list(result.lead_times),
    }


@pytest.fixture()
def week():
    """Anna (two visits, one on each of two days), Bo (one visit, one no-show) and Cia (one
    visit) at a two-desk hub; Anna also has a booking next week."""
    kuf, ssa = make_organisation(name="Kulturförvaltningen", code="KuF"), make_organisation()
    hub = hub_with_desks(2, host=ssa)
    d1, d2 = hub.desks
    anna = make_user(kuf, display_name="Anna Berg", email="anna@kuf.example.org")
    bo = make_user(kuf, display_name="Bo Ek")
    cia = make_user(ssa, display_name="Cia Lund")
    early = at("2026-02-20", "10:00")
    book(d1, anna, at("2026-03-02", "09:00"), at("2026-03-02", "12:00"), created=early)
    book(d1, anna, at("2026-03-03", "13:00"), at("2026-03-03", "16:00"), created=early)
    book(d2, bo, at("2026-03-02", "10:00"), at("2026-03-02", "11:30"), created=early)
    book(
        d2,
        bo,
        at("2026-03-03", "08:00"),
        at("2026-03-03", "10:00"),
        created=early,
        status=BookingStatus.RELEASED,
        released=at("2026-03-03", "08:30"),
    )
    book(d2, cia, at("2026-03-04", "08:00"), at("2026-03-04", "09:00"), created=early)
    coming = book(
        d1,
        anna,
        at("2026-03-10", "09:00"),
        at("2026-03-10", "12:00"),
        created=early,
        status=BookingStatus.CONFIRMED,
    )
    return {"hub": hub, "anna": anna, "bo": bo, "cia": cia, "coming": coming}


def test_erasing_an_account_keeps_every_figure(week):
    hub, anna = week["hub"], week["anna"]
    anna_id = anna.id
    before = figures(hub)
    assert before["metrics"]["unique_users"] == 3
    assert before["metrics"]["returning_users"] >= 1  # Anna, on two days

    ops.erase_account(anna, anna, now=NOW)

    assert figures(hub) == before
    assert count(User, User.id == anna_id) == 0


def test_erasure_cuts_every_link_to_the_person(week):
    anna, coming_id = week["anna"], week["coming"].id
    anna_id, email = anna.id, anna.email
    db.session.add(
        OutboxMessage(
            kind="booking",
            user_id=anna_id,
            recipient=email,
            subject="x",
            text_body="Hej Anna",
            html_body="",
            attachments="[]",
            status=OutboxStatus.SENT,
            attempts=1,
            next_attempt_at=NOW,
            last_error="",
        )
    )
    db.session.commit()

    for key in ops.attempt_keys(email):
        db.session.add(LoginAttempt(account_key=key, address="10.1.2.3", succeeded=True))
    db.session.commit()

    ops.erase_account(anna, anna, now=NOW)

    assert count(User, User.email == email) == 0
    assert count(OutboxMessage) == 0
    assert count(LoginAttempt) == 0
    left = db.session.scalars(select(Booking).where(Booking.user_id.is_(None))).all()
    assert len(left) == 2  # the two visits, unlinked, as one person
    assert person_of(anna_id) not in {b.person_id for b in db.session.scalars(select(Booking))}
    assert {b.user_id for b in left} == {None}
    assert len({b.person_id for b in left}) == 1
    assert db.session.get(Booking, coming_id) is None  # not started: gone, desk free
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.erased")).one()
    assert event.object_id == anna_id and "Anna" not in event.summary


def test_the_pseudonym_of_an_erased_person_is_new(week, app):
    anna = week["anna"]
    secret = app.config["HUBBAR_PSEUDONYM_KEY"]
    old = pseudonym(anna.id, secret)
    ops.erase_account(anna, anna, now=NOW)
    person_ids = {b.person_id for b in db.session.scalars(select(Booking))}
    assert old not in {pseudonym(p, secret) for p in person_ids}


def test_closing_ones_own_account_from_the_profile(client, week):
    from tests.factories import PASSWORD

    anna = week["anna"]
    login(client, anna)
    page = client.get("/profile/close")
    assert page.status_code == 200

    wrong = client.post("/profile/close", data={"password": "not it", "understood": "y"})
    assert wrong.status_code == 422
    assert count(User, User.id == anna.id) == 1

    unconfirmed = client.post("/profile/close", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422
    assert count(User, User.id == anna.id) == 1


def test_the_account_is_closed_with_password_and_confirmation(client, week):
    from tests.factories import PASSWORD

    anna = week["anna"]
    anna_id = anna.id
    login(client, anna)
    done = client.post("/profile/close", data={"password": PASSWORD, "understood": "y"})
    assert done.status_code == 302 and location(done) == "/login"
    assert count(User, User.id == anna_id) == 0
    assert client.get("/profile").status_code == 302  # logged out


def test_the_last_system_admin_cannot_close_their_account(client):
    from tests.factories import PASSWORD

    admin = make_admin()
    login(client, admin)
    client.get("/profile/close")
    before = snapshot()
    response = client.post("/profile/close", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 422
    assert snapshot() == before
    with pytest.raises(Exception) as refused:
        ops.erase_account(admin, admin)
    assert refused.value.code == "forbidden"


def test_an_organisation_admin_deletes_an_employee_of_their_organisation(client, week):
    kuf = week["anna"].organisation
    org_admin = make_org_admin(kuf)
    login(client, org_admin)
    bo_id, cia_id = week["bo"].id, week["cia"].id
    assert client.get(f"/admin/users/{bo_id}/delete").status_code == 200
    unconfirmed = client.post(f"/admin/users/{bo_id}/delete", data={})
    assert unconfirmed.status_code == 422 and count(User, User.id == bo_id) == 1
    done = client.post(f"/admin/users/{bo_id}/delete", data={"understood": "y"})
    assert done.status_code == 302
    assert count(User, User.id == bo_id) == 0
    # Cia is in another organisation: not theirs to delete.
    assert client.post(f"/admin/users/{cia_id}/delete", data={"understood": "y"}).status_code in (
        403,
        404,
    )
    assert count(User, User.id == cia_id) == 1


def test_an_organisation_admin_cannot_delete_someone_with_a_role(client, week):
    kuf = week["anna"].organisation
    colleague_admin = make_org_admin(kuf)
    login(client, make_org_admin(kuf))
    response = client.post(f"/admin/users/{colleague_admin.id}/delete", data={"understood": "y"})
    assert response.status_code == 403
    assert count(User, User.id == colleague_admin.id) == 1


# --- retention ------------------------------------------------------------------------------


def test_old_bookings_are_pseudonymised_and_the_figures_stay(app, week):
    hub, anna = week["hub"], week["anna"]
    app.config["HUBBAR_RETENTION_MONTHS"] = 24
    before = figures(hub)
    run_at = at("2028-03-05", "12:00")  # the week ended just over 24 months before

    assert ops.pseudonymise_old_bookings(run_at) == 5
    assert ops.pseudonymise_old_bookings(run_at) == 0  # nothing more is due

    assert figures(hub) == before
    old = db.session.scalars(select(Booking).where(Booking.starts_at < at("2026-03-09", "00:00")))
    old = list(old)
    assert {b.user_id for b in old} == {None}
    assert all(b.person_id < 0 for b in old)
    # Anna's two visits still count as one person, across runs too.
    assert len({b.person_id for b in old if b.person_id == person_of(anna.id)}) == 1
    coming = db.session.get(Booking, week["coming"].id)
    assert coming.user_id == anna.id  # not old enough yet


def test_nothing_younger_than_the_retention_age_is_touched(app, week):
    app.config["HUBBAR_RETENTION_MONTHS"] = 24
    before = snapshot()
    assert ops.pseudonymise_old_bookings(at("2028-03-01", "12:00")) == 0
    assert snapshot() == before


def test_erasing_after_retention_keeps_the_figures(app, week):
    """A person whose oldest bookings are already pseudonymised is still one person after
    erasing the account."""
    hub, anna = week["hub"], week["anna"]
    app.config["HUBBAR_RETENTION_MONTHS"] = 24
    # Only Monday's bookings are old enough.
    ops.pseudonymise_old_bookings(at("2028-03-02", "18:00"))
    before = figures(hub)
    ops.erase_account(anna, anna, now=NOW)
    assert figures(hub) == before


def test_inactive_accounts_are_warned_then_deleted(app, week):
    app.config.update(HUBBAR_INACTIVE_ACCOUNT_MONTHS=24, HUBBAR_DELETION_NOTICE_DAYS=30)
    anna, bo, cia = week["anna"], week["bo"], week["cia"]
    for user in (anna, bo, cia):
        user.created_at = at("2024-01-01", "09:00")
    anna.last_seen_at = at("2025-12-01", "09:00")  # recent enough
    db.session.commit()
    now = at("2026-03-02", "12:00")

    assert ops.warn_inactive_accounts(now) == 2  # Bo and Cia
    assert ops.warn_inactive_accounts(now) == 0  # warned once
    warned = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "account_inactive")
    )
    assert {m.recipient for m in warned} == {bo.email, cia.email}

    ops.seen(cia, now + timedelta(days=3))  # Cia comes back
    assert ops.delete_inactive_accounts(now + timedelta(days=29)) == 0  # not yet
    bo_id, cia_id = bo.id, cia.id
    assert ops.delete_inactive_accounts(now + timedelta(days=31)) == 1
    assert count(User, User.id == bo_id) == 0
    assert count(User, User.id == cia_id) == 1
    assert db.session.get(User, cia_id).deletion_warned_at is None


def test_old_mail_is_deleted(app, week):
    app.config["HUBBAR_SENT_MAIL_DAYS"] = 30

    def message(created, status):
        db.session.add(
            OutboxMessage(
                kind="booking",
                user_id=week["bo"].id,
                recipient=week["bo"].email,
                subject="x",
                text_body="x",
                html_body="",
                attachments="[]",
                status=status,
                attempts=1,
                next_attempt_at=created,
                created_at=created,
                last_error="",
            )
        )

    message(NOW - timedelta(days=31), OutboxStatus.SENT)
    message(NOW - timedelta(days=31), OutboxStatus.PENDING)  # not sent yet: kept
    message(NOW - timedelta(days=5), OutboxStatus.SENT)
    db.session.commit()
    assert ops.delete_old_mail(NOW) == 1
    assert count(OutboxMessage) == 2


# --- what colleagues see --------------------------------------------------------------------


def test_colleagues_see_a_name_only_when_the_booker_opts_in(client, week):
    hub, anna, cia = week["hub"], week["anna"], week["cia"]
    login(client, cia)
    url = f"/hubs/{hub.id}/day?date=2026-03-10"
    assert "Anna Berg" not in client.get(url).get_data(as_text=True)

    anna.show_name = True
    db.session.commit()
    assert "Anna Berg" in client.get(url).get_data(as_text=True)


def test_the_name_opt_in_is_set_on_the_privacy_page(client, week):
    anna = week["anna"]
    login(client, anna)
    assert client.get("/profile/privacy").status_code == 200
    assert client.post("/profile/privacy", data={"show_name": "y"}).status_code == 302
    assert db.session.get(User, anna.id).show_name is True
    assert client.post("/profile/privacy", data={}).status_code == 302
    assert db.session.get(User, anna.id).show_name is False


def test_roles_of_an_erased_admin_go_with_the_account(week):
    second = make_admin()
    first = make_admin()
    ops.erase_account(first, second)
    assert count(User, User.id == second.id) == 0
    assert any(a.role is Role.SYSTEM_ADMIN for a in first.roles)


def test_erasing_a_participant_keeps_the_pilot_report(week):
    """The participant leaves the pilot but still counts in it: the same participants, visits,
    feedback and figures before and after."""
    from hubbar.pilots.models import Feedback
    from hubbar.pilots.report import build
    from tests.factories import make_pilot

    hub, anna, bo = week["hub"], week["anna"], week["bo"]
    pilot = make_pilot([hub], start_date=MON, end_date=FRI)
    pilot.participants = [anna, bo]
    first_visit = db.session.scalars(
        select(Booking).where(Booking.user_id == anna.id).order_by(Booking.starts_at)
    ).first()
    db.session.add(Feedback(booking_id=first_visit.id, rating=5, comment="Bra"))
    for booking in db.session.scalars(select(Booking)):  # checked in: visits to ask about
        if booking.status is BookingStatus.COMPLETED:
            booking.checked_in_at = booking.starts_at
    db.session.commit()
    before = build(pilot, now=LATER)
    satisfied = before["satisfaction"]
    assert before["participants"] == 2 and (satisfied["visits"], satisfied["responses"]) == (3, 1)

    ops.erase_account(anna, anna, now=NOW)

    after = build(db.session.get(type(pilot), pilot.id), now=LATER)
    for key in ("participants", "participants_by_organisation", "satisfaction", "occupancy"):
        assert after[key] == before[key], key


def test_rotating_the_secret_key_keeps_people_together(app, week):
    """Person ids are keyed with HUBBAR_PSEUDONYM_KEY, not the secret key: a new secret key
    (after a leak, say) does not split a person in the statistics."""
    hub, anna = week["hub"], week["anna"]
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-brand-new-secret-key-after-a-leak-0123456789"
    try:
        book(
            hub.desks[1],
            anna,
            at("2026-03-05", "09:00"),
            at("2026-03-05", "10:00"),
            created=at("2026-03-01", "09:00"),
        )
    finally:
        app.config["SECRET_KEY"] = saved
    people = {b.person_id for b in db.session.scalars(select(Booking)) if b.user_id == anna.id}
    assert len(people) == 1


def test_closing_an_account_counts_as_a_login_attempt(week):
    """A stolen session cannot guess the password on the closing page at full speed."""
    from hubbar.accounts.throttle import TooManyAttempts
    from hubbar.errors import InvalidInput
    from tests.factories import PASSWORD

    anna = week["anna"]
    for _attempt in range(10):
        with pytest.raises(InvalidInput):
            ops.close_own_account(anna, "a wrong guess", "10.0.0.9", now=NOW)
    with pytest.raises(TooManyAttempts):
        ops.close_own_account(anna, PASSWORD, "10.0.0.9", now=NOW + timedelta(seconds=30))
    assert count(User, User.id == anna.id) == 1
    ops.close_own_account(anna, PASSWORD, "10.0.0.9", now=NOW + timedelta(minutes=2))
    assert count(User, User.email == "anna@kuf.example.org") == 0
