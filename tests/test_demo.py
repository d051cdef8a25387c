"""`flask hubbar demo` loads the real pilot, and every demo account can log in and do its job."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from hubbar.accounts.models import Organisation, User
from hubbar.audit import guard as audit_guard
from hubbar.bookings import operations as ops
from hubbar.bookings.models import Booking, DemandMiss
from hubbar.bookings.models import BookingStatus as S
from hubbar.demo import DEMO_PASSWORD, load_demo
from hubbar.extensions import db
from hubbar.hubs.calendar import hub_days
from hubbar.hubs.models import Desk, Hub, OutOfService
from hubbar.pilots.models import Pilot, PilotStatus, pilot_participants
from tests.helpers import STOCKHOLM, count, location, shows, sv

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Monday


def _hub(name: str) -> Hub:
    return db.session.scalar(select(Hub).where(Hub.name == name))


def _login(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    assert location(response) == "/", email
    return client


def test_demo_loads_the_pilot_and_every_account_works(app):
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["hubbar", "demo"])
        assert result.exit_code == 0, result.output
        assert re.search(
            r"Demo data loaded: \d+ bookings \(\d+ upcoming, \d+ no-shows", result.output
        )
        assert f"password: {DEMO_PASSWORD}" in result.output
        assert "admin@hubbar.example.org" in result.output

        assert sorted(db.session.scalars(select(Organisation.code))) == ["KuF", "SSA"]
        desks = dict(
            db.session.execute(
                select(Hub.name, func.count(Desk.id)).join(Desk).group_by(Hub.name)
            ).all()
        )
        assert desks == {
            "Kungsklippan 6": 5,
            "Stadsarkivet Liljeholmskajen": 10,
            "Kulturförvaltningen Rinkeby": 8,
        }
        pilot = db.session.scalar(select(Pilot))
        assert pilot.name == "Touch down Kungsklippan"
        assert [h.name for h in pilot.hubs] == ["Kungsklippan 6"]
        assert count(pilot_participants) == 15
        assert pilot.end_date == date(2026, 11, 20)  # the last Friday before the demo was made
        assert pilot.status is PilotStatus.ENDED

        # Every account logs in with the demo password and is greeted by name.
        users = db.session.scalars(select(User)).all()
        assert len(users) >= 20
        for user in users:
            client = _login(app, user.email)
            assert shows(client.get("/"), sv("Hello, %(name)s", name=user.display_name))

        kungsklippan = _hub("Kungsklippan 6").id
        rinkeby = _hub("Kulturförvaltningen Rinkeby").id

        admin = _login(app, "admin@hubbar.example.org")
        for url in [
            "/admin/users",
            "/admin/organisations",
            "/admin/hubs",
            "/admin/audit",
            "/pilots",
        ]:
            assert admin.get(url).status_code == 200, url

        manager = _login(app, "lokal@ssa.example.org")
        assert manager.get(f"/manage/hubs/{kungsklippan}").status_code == 200
        assert (
            manager.get(f"/manage/hubs/{_hub('Stadsarkivet Liljeholmskajen').id}").status_code
            == 200
        )
        assert manager.get(f"/manage/hubs/{rinkeby}").status_code == 403
        assert manager.get("/admin/users").status_code == 403

        rinkeby_manager = _login(app, "lokal@kuf.example.org")
        assert rinkeby_manager.get(f"/manage/hubs/{rinkeby}").status_code == 200
        assert rinkeby_manager.get(f"/manage/hubs/{kungsklippan}").status_code == 403

        evaluator = _login(app, "utvardering@hubbar.example.org")
        assert evaluator.get(f"/pilots/{pilot.id}").status_code == 200
        assert shows(evaluator.get("/pilots"), "Touch down Kungsklippan")
        assert evaluator.get("/admin/users").status_code == 403

        org_admin = _login(app, "personal@kuf.example.org")
        users_page = org_admin.get("/admin/users")
        assert users_page.status_code == 200
        assert shows(users_page, "Anna Berg")
        assert not shows(users_page, "Erik Sund")  # SSA's staff are not KuF's to manage

        anna = _login(app, "anna.berg@kuf.example.org")
        hubs_page = anna.get("/hubs")
        assert shows(hubs_page, "Kungsklippan 6")
        assert shows(hubs_page, "Stadsarkivet Liljeholmskajen")  # SSA admits KuF
        assert shows(hubs_page, "Kulturförvaltningen Rinkeby")  # her own organisation's
        assert anna.get(f"/hubs/{kungsklippan}").status_code == 200
        for url in [
            "/admin/users",
            "/admin/organisations",
            "/admin/hubs",
            "/admin/audit",
            "/manage/hubs",
        ]:
            assert anna.get(url).status_code == 403, url
        assert anna.get(f"/pilots/{pilot.id}").status_code == 403


def test_demo_if_empty_does_not_load_twice(app):
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        assert runner.invoke(args=["hubbar", "demo", "--if-empty"]).exit_code == 0
        users, desks = count(User), count(Desk)

        result = runner.invoke(args=["hubbar", "demo", "--if-empty"])
        assert result.exit_code == 0, result.output
        assert "not loaded again" in result.output
        assert (count(User), count(Desk), count(Organisation)) == (users, desks, 2)

        result = runner.invoke(args=["hubbar", "demo"])
        assert result.exit_code != 0
        assert "not empty" in result.output
        assert (count(User), count(Desk), count(Organisation)) == (users, desks, 2)


# --- the booking history ------------------------------------------------------------------


def _load(now: datetime = NOW) -> None:
    with time_machine.travel(now, tick=False):
        load_demo()


def _empty_database() -> None:
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn, audit_guard.maintenance(conn):
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _digest() -> str:
    """Every booking, status change and demand miss, by what they are rather than by id."""
    db.session.rollback()
    emails = dict(db.session.execute(select(User.id, User.email)).all())
    names = dict(db.session.execute(select(Hub.id, Hub.name)).all())
    codes = dict(db.session.execute(select(Organisation.id, Organisation.code)).all())
    rows = []
    for b in db.session.scalars(select(Booking)):
        key = (b.hub.name, b.desk.label, b.user.email, b.starts_at.isoformat())
        rows.append(
            (
                key,
                b.organisation.code,
                b.ends_at,
                b.occupied_until,
                b.status.value,
                b.checkin_required,
                b.created_at,
                b.checked_in_at,
                b.checked_out_at,
                b.cancelled_at,
                b.released_at,
                b.series.weekdays if b.series else None,
                [(e.status.value, e.occurred_at, emails.get(e.actor_id), e.note) for e in b.events],
            )
        )
    for m in db.session.scalars(select(DemandMiss)):
        rows.append(
            (
                names[m.hub_id],
                codes[m.organisation_id],
                m.wanted_start,
                m.wanted_end,
                m.source,
                m.created_at,
            )
        )
    return hashlib.sha256(repr(sorted(rows, key=repr)).encode()).hexdigest()


def _bookings() -> list[Booking]:
    db.session.rollback()
    return list(db.session.scalars(select(Booking).order_by(Booking.starts_at)))


def _local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)


def test_the_same_date_gives_the_same_history_and_another_date_another(app):
    _load()
    first = _digest()
    pilot_start = db.session.scalar(select(Pilot.start_date))
    _empty_database()
    _load()
    assert _digest() == first

    _empty_database()
    _load(NOW + timedelta(days=7))
    assert _digest() != first
    shifted = db.session.scalar(select(Pilot.start_date))
    assert shifted == pilot_start + timedelta(days=7)
    assert min(_local(b.starts_at).date() for b in _bookings()) == shifted


def test_the_history_keeps_every_booking_rule(app):
    _load()
    bookings = _bookings()
    assert len(bookings) > 500
    hubs = {h.id: h for h in db.session.scalars(select(Hub))}
    schedules = {
        hub.id: {d.day: d for d in hub_days(hub, date(2026, 9, 1), date(2026, 12, 31))}
        for hub in hubs.values()
    }
    broken = list(db.session.scalars(select(OutOfService)))
    for b in bookings:
        hub, start, end = hubs[b.hub_id], _local(b.starts_at), _local(b.ends_at)
        assert b.desk.hub_id == hub.id and b.desk.active
        assert b.organisation_id == b.user.organisation_id
        assert hub.admits(b.user.organisation)
        day = schedules[hub.id][start.date()]
        assert day.is_open, (hub.name, day)
        opens, closes = day.interval(hub.timezone)
        assert opens <= start < end <= closes, (hub.name, start, end)
        for moment in (start, end):
            assert moment.minute % hub.slot_minutes == 0 and moment.second == 0
        minutes = (end - start).total_seconds() / 60
        assert hub.min_duration_minutes <= minutes <= hub.max_duration_minutes
        assert not any(
            o.desk_id == b.desk_id and o.starts_at < b.ends_at and b.starts_at < o.ends_at
            for o in broken
        ), (b.desk.label, start)
        # Booked before the start's slot was over, at most the allowed days ahead, by now.
        assert b.created_at < b.starts_at + timedelta(minutes=hub.slot_minutes)
        assert (start.date() - _local(b.created_at).date()).days <= hub.max_days_ahead
        assert b.created_at <= NOW

    # Never two bookings on one desk, nor one person in two places, at once.
    for key in ("desk_id", "user_id"):
        held: dict[int, list[tuple[datetime, datetime]]] = {}
        for b in bookings:
            if b.occupied_until > b.starts_at:
                held.setdefault(getattr(b, key), []).append((b.starts_at, b.occupied_until))
        for intervals in held.values():
            intervals.sort()
            for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
                assert e1 <= s2, key


def test_the_history_is_what_the_operations_and_jobs_leave(app):
    """Every row mirrors the operations: its fields, its status history; and the jobs, run
    now, find nothing left to do."""
    _load()
    grace = timedelta(minutes=30)
    for b in _bookings():
        events = [(e.status, e.occurred_at, e.actor_id, e.note) for e in b.events]
        assert events[0] == (S.CONFIRMED, b.created_at, b.user_id, "")
        assert [at for _s, at, _a, _n in events] == sorted(at for _s, at, _a, _n in events)
        assert b.checkin_required
        deadline = max(b.starts_at, b.created_at) + grace
        if b.checked_in_at is not None:
            assert max(b.created_at, b.starts_at - timedelta(minutes=15)) <= b.checked_in_at
            assert b.checked_in_at < min(deadline, b.ends_at)
            assert events[1] == (S.CHECKED_IN, b.checked_in_at, b.user_id, "")
        if b.status is S.CANCELLED:
            assert b.checked_in_at is None and b.released_at is None
            assert b.occupied_until == max(b.starts_at, b.cancelled_at)
            assert events[1:] == [(S.CANCELLED, b.cancelled_at, b.user_id, "")]
        elif b.status is S.RELEASED:
            assert b.checked_in_at is None and b.cancelled_at is None
            assert b.released_at == b.occupied_until == min(deadline, b.ends_at) <= NOW
            assert events[1:] == [(S.RELEASED, b.released_at, None, "")]
        elif b.status is S.COMPLETED:
            assert b.checked_in_at is not None
            if b.checked_out_at is not None:  # left early
                assert b.occupied_until == b.checked_out_at < b.ends_at
                assert events[2:] == [(S.COMPLETED, b.checked_out_at, b.user_id, "check_out")]
            else:
                assert b.occupied_until == b.ends_at <= NOW
                assert events[2:] == [(S.COMPLETED, b.ends_at, None, "")]
        else:
            assert b.ends_at > NOW and b.occupied_until == b.ends_at
            assert (b.status is S.CHECKED_IN) == (b.checked_in_at is not None)
            if b.status is S.CONFIRMED:
                assert deadline > NOW and len(events) == 1
    with time_machine.travel(NOW, tick=False):
        assert ops.release_no_shows() == []
        assert ops.complete_past() == []


def test_the_history_looks_like_a_real_pilot(app):
    _load()
    bookings = _bookings()
    pilot = db.session.scalar(select(Pilot))
    kungsklippan = _hub("Kungsklippan 6")
    in_pilot = [
        b
        for b in bookings
        if b.hub_id == kungsklippan.id
        and pilot.start_date <= _local(b.starts_at).date() <= pilot.end_date
    ]
    # Booking rate: booked desk-hours over the open desk-hours of the pilot.
    open_days = [d for d in hub_days(kungsklippan, pilot.start_date, pilot.end_date) if d.is_open]
    capacity = len(kungsklippan.desks) * sum(
        (
            d.interval(kungsklippan.timezone)[1] - d.interval(kungsklippan.timezone)[0]
            for d in open_days
        ),
        timedelta(),
    )
    booked = sum((b.occupied_until - b.starts_at for b in in_pilot), timedelta())
    assert 0.3 < booked / capacity < 0.9
    # Every participant used the hub; only participants did.
    participants = {u.id for u in pilot.participants}
    assert {b.user_id for b in in_pilot} == participants

    statuses = Counter(b.status for b in in_pilot)
    assert 0.02 < statuses[S.RELEASED] / len(in_pilot) < 0.15
    assert 0.04 < statuses[S.CANCELLED] / len(in_pilot) < 0.25
    cancelled = [b for b in in_pilot if b.status is S.CANCELLED]
    late = [b for b in cancelled if b.cancelled_at > b.starts_at - timedelta(hours=2)]
    assert late and len(late) < len(cancelled)
    assert any(b.cancelled_at > b.starts_at for b in late)  # some after the start
    assert any(b.checked_out_at and b.checked_out_at < b.ends_at for b in in_pilot)
    assert all(b.checked_in_at is not None for b in in_pilot if b.status is S.COMPLETED)
    assert any(b.series_id for b in in_pilot)

    # Weekday rhythm and the morning peak.
    per_weekday = Counter(_local(b.starts_at).weekday() for b in in_pilot)
    days_per_weekday = Counter(d.day.weekday() for d in open_days)
    rate = {wd: per_weekday[wd] / days_per_weekday[wd] for wd in range(5)}
    assert min(rate[1], rate[2], rate[3]) > max(rate[0], rate[4])
    morning = [b for b in in_pilot if time(8) <= _local(b.starts_at).time() <= time(9, 30)]
    assert len(morning) / len(in_pilot) > 0.5
    # Lead time: mostly 0–5 days.
    leads = sorted((b.starts_at - b.created_at) for b in in_pilot)
    assert timedelta(hours=6) < leads[len(leads) // 2] < timedelta(days=5)
    assert any(lead < timedelta(0) for lead in leads)  # some booked on the spot

    # Unmet demand on busy mornings, without names.
    misses = list(
        db.session.scalars(select(DemandMiss).where(DemandMiss.hub_id == kungsklippan.id))
    )
    assert misses and {m.source for m in misses} == {"search", "booking"}
    assert {m.organisation_id for m in misses} == {kungsklippan.admitted_organisations[0].id}

    # The other hubs: their own staff mostly, guests too; and upcoming bookings everywhere.
    for name, host in [
        ("Stadsarkivet Liljeholmskajen", "SSA"),
        ("Kulturförvaltningen Rinkeby", "KuF"),
    ]:
        hub = _hub(name)
        codes = Counter(b.organisation.code for b in bookings if b.hub_id == hub.id)
        assert codes[host] > 3 * sum(n for code, n in codes.items() if code != host) > 0
    for hub in db.session.scalars(select(Hub)):
        assert any(b.hub_id == hub.id and b.starts_at > NOW and b.is_active for b in bookings)


def test_anna_can_book_tomorrow_morning_and_cancel_her_next_booking(app):
    _load()
    anna = db.session.scalar(select(User).where(User.email == "anna.berg@kuf.example.org"))
    hub = _hub("Kungsklippan 6")
    tomorrow = date(2026, 11, 24)
    mine = [b for b in _bookings() if b.user_id == anna.id]
    assert not [b for b in mine if _local(b.starts_at).date() == tomorrow]
    later = [b for b in mine if b.is_active and b.starts_at > NOW]
    assert [(_local(b.starts_at).date(), b.hub.name) for b in later] == [
        (date(2026, 11, 25), "Kungsklippan 6")
    ]
    with time_machine.travel(NOW, tick=False):
        starts, ends = ops.quick_window(hub, tomorrow, "morning")
        booking = ops.book_any(anna, anna, hub, starts, ends)
        assert booking.desk.label == "Plats 1"
        ops.cancel(anna, later[0])
    assert later[0].status is S.CANCELLED
