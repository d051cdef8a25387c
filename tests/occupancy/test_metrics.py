"""Every metric of DESIGN.md checked against figures computed by hand (see the fixtures)."""

from __future__ import annotations

from datetime import date, time

import pytest

from hubbar.bookings.models import BookingStatus
from hubbar.extensions import db
from hubbar.hubs.models import OpeningHours
from hubbar.occupancy.definitions import DEFINITIONS
from hubbar.occupancy.metrics import compute, nearest_rank
from tests.bookings.clock import at
from tests.factories import make_closure, make_out_of_service, make_user
from tests.occupancy.conftest import LONG_AGO, book, hub_with_desks

AFTER = at("2026-03-20", "12:00")  # long after the week: nothing is partial
MON, SUN = date(2026, 3, 2), date(2026, 3, 8)


def values(result) -> dict:
    return {key: metric.value for key, metric in result.metrics.items()}


def test_the_hand_computed_week(week):
    hub, _ = week
    m = values(compute([hub], MON, SUN, now=AFTER))

    assert m["capacity_hours"] == pytest.approx(80)  # 5 days × 8 h × 2 desks
    assert m["booked_hours"] == pytest.approx(12.5)  # 5 + 2 + 0.5 + 3 + 2
    assert m["booking_rate"] == pytest.approx(12.5 / 80)
    assert m["used_hours"] == pytest.approx(4 + 50 / 60 + 2 + 2)
    assert m["utilisation"] == pytest.approx((8 + 50 / 60) / 80)
    assert m["bookings"] == 7
    assert m["visits"] == 5  # d and g were cancelled before their start
    assert m["cancellation_rate"] == pytest.approx(3 / 7)  # d, e, g
    assert m["late_cancellation_rate"] == pytest.approx(2 / 7)  # e (after start), g (1.5 h before)
    assert m["no_show_rate"] == pytest.approx(1 / 5)  # c, of a b c e f
    assert m["lead_time_median_hours"] == pytest.approx(23)  # 0.5 1 23 24 72 → rank 3
    assert m["lead_time_p90_hours"] == pytest.approx(72)  # rank ceil(4.5) = 5
    assert m["mean_duration_hours"] == pytest.approx((6 + 2 + 0.5 + 3 + 2) / 5)
    assert m["median_duration_hours"] == pytest.approx(2)
    assert m["unique_users"] == 3
    assert m["returning_users"] == 2  # Ulla (Mon, Tue) and Sven (Mon, Thu)
    assert m["visits_per_user"] == pytest.approx(5 / 3)
    assert m["cross_org_share"] == pytest.approx(8.5 / 12.5)  # KuF: a 5, c 0.5, e 3
    assert m["mean_daily_peak"] == pytest.approx((1 + 0.5 + 0 + 1 + 0) / 5)
    assert m["max_daily_peak"] == pytest.approx(1)
    assert m["desk_day_usage"] == pytest.approx(5 / 10)
    assert m["demand_misses"] == 2
    assert m["turned_away_rate"] == pytest.approx(2 / 9)
    assert m["desks_needed"] == 3  # per day 2 1 1 3 0 → 95th percentile (rank 5 of 5)
    assert set(m) == {d.key for d in DEFINITIONS}


def test_the_week_day_by_day(week):
    hub, _ = week
    result = compute([hub], MON, SUN, now=AFTER)

    rows = {row.day: row for row in result.days}
    assert sorted(rows) == [date(2026, 3, d) for d in range(2, 7)]  # the weekend is closed
    monday = rows[MON]
    assert (monday.capacity_hours, monday.booked_hours) == (16, 7)
    assert monday.used_hours == pytest.approx(4 + 50 / 60 + 2)
    assert (monday.peak_desks, monday.peak) == (2, 1.0)
    assert rows[date(2026, 3, 3)].peak == 0.5
    assert rows[date(2026, 3, 4)].peak == 0.0
    assert rows[date(2026, 3, 4)].demand_misses == 1
    assert rows[date(2026, 3, 5)].desks_needed == 3
    assert [w.key for w in result.weeks] == [(2026, 10)]
    assert result.weeks[0].booked_hours == pytest.approx(12.5)
    assert result.weeks[0].open_days == 5


def test_a_booking_across_lunch_counts_only_open_time(week):
    hub, _ = week
    result = compute([hub], MON, MON, now=AFTER)

    # a: 09–15 is 6 h booked, of which 12–13 the hub is closed.
    desk_rows = {row.label: row for row in result.desks}
    assert desk_rows["D1"].booked_hours == 5
    assert desk_rows["D1"].capacity_hours == 8
    hours = {row.key: row for row in result.hours}
    assert 12 not in hours  # no open time, no row: lunch is neither free nor booked
    assert hours[9].booked_hours == 2  # both desks 09–10
    assert hours[14].booked_hours == 1
    assert result.heatmap[(0, 9)] == 1.0
    assert result.heatmap[(0, 14)] == 0.5
    assert result.heatmap[(0, 16)] == 0.0
    assert (0, 12) not in result.heatmap


def test_per_organisation_and_per_desk(week):
    hub, _ = week
    result = compute([hub], MON, SUN, now=AFTER)

    orgs = {row.code: row for row in result.organisations}
    assert result.organisations[0].code == "SSA"  # the host first
    assert (orgs["SSA"].bookings, orgs["SSA"].users, orgs["SSA"].booked_hours) == (2, 1, 4)
    assert (orgs["KuF"].bookings, orgs["KuF"].users, orgs["KuF"].booked_hours) == (5, 2, 8.5)
    assert orgs["KuF"].returning_users == 1
    assert orgs["KuF"].released == 1
    assert orgs["KuF"].cancelled == 3
    assert orgs["KuF"].demand_misses == 2
    assert orgs["KuF"].share_of_booked == pytest.approx(8.5 / 12.5)
    desks = {row.label: row for row in result.desks}
    assert desks["D1"].booked_hours == 8  # a 5 + e 3
    assert desks["D2"].booked_hours == 4.5  # b 2 + c 0.5 + f 2
    assert desks["D2"].used_hours == 4
    assert (desks["D1"].booked_days, desks["D1"].open_days) == (2, 5)
    assert desks["D2"].booking_rate == pytest.approx(4.5 / 40)
    assert dict(result.lead_times) == {
        "lead_1h": 1,
        "lead_1d": 2,
        "lead_3d": 1,
        "lead_7d": 1,
        "lead_more": 0,
    }


def test_an_organisation_filter_counts_only_its_people(week, kuf):
    hub, _ = week
    m = values(compute([hub], MON, SUN, organisation_ids=[kuf.id], now=AFTER))

    assert m["capacity_hours"] == 80  # the hub's capacity: their share of it
    assert m["booked_hours"] == pytest.approx(8.5)
    assert m["bookings"] == 5
    assert m["unique_users"] == 2
    assert m["cross_org_share"] == 1.0
    assert m["demand_misses"] == 2


def test_a_holiday_is_not_open_time(app, ssa):
    hub = hub_with_desks(1, host=ssa)
    # Friday 1 May 2026 (Första maj) is a holiday: Monday to Thursday are open, 9 h each.
    result = compute([hub], date(2026, 4, 27), date(2026, 5, 3), now=AFTER.replace(month=6))

    assert [row.day for row in result.days] == [date(2026, 4, d) for d in range(27, 31)]
    assert result.value("capacity_hours") == 36


def test_a_closure_and_a_desk_added_in_the_period(app, ssa):
    hub = hub_with_desks(1, host=ssa)
    make_closure(hub, date(2026, 3, 3))  # the Tuesday
    desk = hub.desks[0].__class__(label="Ny", zone="")
    hub.desks.append(desk)
    db.session.commit()
    desk.created_at = at("2026-03-05", "12:00")  # Thursday noon
    db.session.commit()

    result = compute([hub], MON, SUN, now=AFTER)

    # First desk: Mon, Wed, Thu, Fri × 9 h = 36 h; the new one Thu 12–17 and Fri: 5 + 9 h.
    assert result.value("capacity_hours") == 36 + 14
    assert {row.label: row.capacity_hours for row in result.desks} == {"D1": 36, "Ny": 14}
    assert {row.label: row.open_days for row in result.desks} == {"D1": 4, "Ny": 2}


@pytest.mark.parametrize(
    ("day", "open_hours"),
    [("2026-03-29", 22.5), ("2026-10-25", 24.5), ("2026-10-18", 23.5)],
    ids=["spring-forward-23h", "fall-back-25h", "ordinary-sunday"],
)
def test_a_dst_day_counts_the_hours_that_happened(app, ssa, day, open_hours):
    hub = hub_with_desks(1, host=ssa)
    hub.opening_hours.append(OpeningHours(weekday=6, opens=time(0), closes=time(23, 30)))
    db.session.commit()
    user = make_user(ssa)
    sunday = date.fromisoformat(day)
    book(hub.desks[0], user, at(day, "00:00"), at(day, "23:30"), created=LONG_AGO)

    result = compute([hub], sunday, sunday, now=AFTER.replace(month=12))

    assert result.value("capacity_hours") == open_hours
    assert result.value("booked_hours") == open_hours
    assert result.value("booking_rate") == 1.0
    assert result.value("mean_duration_hours") == open_hours
    hours = {row.key: row.capacity_hours for row in result.hours}
    assert hours.get(2, 0) == {"2026-03-29": 0, "2026-10-25": 2, "2026-10-18": 1}[day]
    assert hours[3] == 1
    assert result.heatmap[(6, 3)] == 1.0


def test_a_desk_out_of_service_for_half_the_period(app, ssa):
    hub = hub_with_desks(2, host=ssa)
    d1, d2 = hub.desks
    user, other = make_user(ssa), make_user(ssa)
    wed = "2026-03-04"
    # Booked before the desk broke; the desk was out of service all Wednesday and Thursday.
    book(d2, user, at(wed, "08:00"), at(wed, "10:00"), created=LONG_AGO)
    book(d1, other, at(wed, "08:00"), at(wed, "10:00"), created=LONG_AGO)
    make_out_of_service(d2, at(wed, "00:00"), at("2026-03-06", "00:00"))

    result = compute([hub], MON, date(2026, 3, 5), now=AFTER)

    assert result.value("capacity_hours") == 4 * 9 * 2 - 2 * 9
    assert result.value("booked_hours") == 2  # D2's booking fell in time it was not open
    wednesday = next(row for row in result.days if row.day == date(2026, 3, 4))
    assert (wednesday.peak_desks, wednesday.peak) == (1, 1.0)  # 1 of the 1 desk in service
    desks = {row.label: row for row in result.desks}
    assert (desks["D2"].capacity_hours, desks["D2"].open_days) == (18, 2)
    assert desks["D2"].booked_days == 0
    assert result.value("desk_day_usage") == pytest.approx(1 / 6)


def test_a_period_that_includes_today_counts_up_to_now(app, ssa):
    hub = hub_with_desks(1, host=ssa)
    user = make_user(ssa)
    wed = "2026-03-04"
    book(
        hub.desks[0], user, at(wed, "09:00"), at(wed, "12:00"), created=LONG_AGO,
        status=BookingStatus.CHECKED_IN, checked_in=at(wed, "09:05"),
    )  # fmt: skip
    book(hub.desks[0], user, at("2026-03-05", "09:00"), at("2026-03-05", "12:00"), created=LONG_AGO)

    result = compute([hub], MON, date(2026, 3, 6), now=at(wed, "10:30"))

    assert result.partial
    assert result.counted_until == at(wed, "10:30")
    assert result.value("capacity_hours") == 9 + 9 + 2.5
    assert result.value("booked_hours") == 1.5
    assert result.value("used_hours") == pytest.approx(1 + 25 / 60)
    assert result.value("bookings") == 1  # tomorrow's booking has not started
    assert [row.day for row in result.days][-1] == date(2026, 3, 4)
    assert not compute([hub], MON, date(2026, 3, 3), now=at(wed, "10:30")).partial


def test_an_empty_period_divides_by_nothing(app, ssa):
    hub = hub_with_desks(1, host=ssa)
    result = compute([hub], date(2026, 3, 7), date(2026, 3, 8), now=AFTER)  # a weekend

    m = values(result)
    assert m["capacity_hours"] == 0
    assert m["bookings"] == 0
    for key in (
        "booking_rate",
        "utilisation",
        "no_show_rate",
        "cancellation_rate",
        "mean_daily_peak",
        "max_daily_peak",
        "desk_day_usage",
        "lead_time_median_hours",
        "mean_duration_hours",
        "visits_per_user",
        "cross_org_share",
        "turned_away_rate",
        "desks_needed",
    ):
        assert m[key] is None, key
    assert result.days == [] and result.heatmap == {}
    assert result.is_empty


def test_a_hub_without_desks_and_no_hubs_at_all(app, ssa):
    hub = hub_with_desks(0, host=ssa)
    assert compute([hub], MON, SUN, now=AFTER).value("capacity_hours") == 0
    assert compute([], MON, SUN, now=AFTER).value("booking_rate") is None


def test_several_hubs_add_up(week, ssa, kuf):
    hub, _ = week
    other = hub_with_desks(1, host=kuf)
    user = make_user(kuf)
    monday = "2026-03-02"
    book(other.desks[0], user, at(monday, "08:00"), at(monday, "17:00"), created=LONG_AGO)

    result = compute([hub, other], MON, SUN, now=AFTER)

    assert result.value("capacity_hours") == 80 + 45
    assert result.value("booked_hours") == 12.5 + 9
    # At the second hub the booker is the host's own: cross-organisation only at the first.
    assert result.value("cross_org_share") == pytest.approx(8.5 / 21.5)
    monday = next(row for row in result.days if row.day == MON)
    assert (monday.peak_desks, monday.peak) == (3, 1.0)


def test_nearest_rank():
    assert nearest_rank([], 95) is None
    assert nearest_rank([3, 1, 2], 50) == 2
    assert nearest_rank(list(range(1, 21)), 95) == 19
    assert nearest_rank(list(range(1, 21)), 100) == 20


def test_hidden_organisations_for_evaluators():
    from hubbar.occupancy.metrics import Occupancy, OrganisationRow
    from hubbar.occupancy.operations import EVALUATOR, MANAGER, Access, hidden_organisations

    result = Occupancy([], MON, SUN, AFTER, False, None)
    result.organisations = [
        OrganisationRow(1, "A", "A", True, users=10),
        OrganisationRow(2, "B", "B", False, users=2),
        OrganisationRow(3, "C", "C", False, users=5),
        OrganisationRow(4, "D", "D", False, users=7),
    ]
    evaluator = Access(EVALUATOR, (), None, names=False, k=3)
    # B is small; C, the next smallest, goes too so B cannot be had by subtraction.
    assert hidden_organisations(result, evaluator) == {2, 3}
    result.organisations[2].users = 1
    assert hidden_organisations(result, evaluator) == {2, 3}  # two small ones hide each other
    assert hidden_organisations(result, Access(MANAGER, (), None, names=True, k=None)) == set()


def test_hidden_organisations_hold_at_least_k_people_together():
    from hubbar.occupancy.metrics import Occupancy, OrganisationRow
    from hubbar.occupancy.operations import EVALUATOR, Access, hidden_organisations

    result = Occupancy([], MON, SUN, AFTER, False, None)
    result.organisations = [
        OrganisationRow(1, "A", "A", True, users=10),
        OrganisationRow(2, "B", "B", False, users=1),
        OrganisationRow(3, "C", "C", False, users=1),
        OrganisationRow(4, "D", "D", False, users=7),
    ]
    # B and C together are 2 people: the totals minus A and D would give them away.
    evaluator = Access(EVALUATOR, (), None, names=False, k=3)
    assert hidden_organisations(result, evaluator) == {2, 3, 4}


def test_bookings_on_a_desk_deactivated_before_the_period_count_nothing(app, ssa):
    hub = hub_with_desks(2, host=ssa)
    d1, d2 = hub.desks
    d2.active, d2.inactive_since = False, at("2026-02-27", "12:00")
    db.session.commit()
    user, other = make_user(ssa), make_user(ssa)
    monday = "2026-03-02"
    book(d1, user, at(monday, "08:00"), at(monday, "17:00"), created=LONG_AGO)
    book(d2, other, at(monday, "08:00"), at(monday, "17:00"), created=LONG_AGO)

    result = compute([hub], MON, MON, now=AFTER)

    assert result.value("capacity_hours") == 9
    assert result.value("booked_hours") == 9  # not 18: D2 had no open time
    assert result.value("booking_rate") == 1.0
    assert result.value("max_daily_peak") == 1.0
    assert result.value("desk_day_usage") == 1.0
    assert [row.label for row in result.desks] == ["D1"]


def test_uncommitted_bookings_of_the_same_transaction_count(week, kuf, is_postgres, monkeypatch):
    """On PostgreSQL the statements run at once on two connections; a transaction that has
    written runs them all on its own connection, so that its own unsaved bookings count."""
    from hubbar.occupancy import sql

    hub, _ = week
    pools = []

    class Recorded(sql.ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(sql, "ThreadPoolExecutor", Recorded)
    before = compute([hub], MON, SUN, now=AFTER)
    assert len(pools) == (1 if is_postgres else 0)

    monkeypatch.setattr(db.session, "commit", db.session.flush)
    wednesday = "2026-03-04"
    book(hub.desks[1], make_user(kuf), at(wednesday, "10:00"), at(wednesday, "12:00"),
         created=LONG_AGO)  # fmt: skip
    after = compute([hub], MON, SUN, now=AFTER)

    assert len(pools) == (1 if is_postgres else 0)  # no second connection this time
    assert after.value("booked_hours") == before.value("booked_hours") + 2
    assert after.value("bookings") == before.value("bookings") + 1
    assert after.value("unique_users") == before.value("unique_users") + 1
    db.session.rollback()
    assert compute([hub], MON, SUN, now=AFTER).value("bookings") == before.value("bookings")


def test_the_cross_organisation_share_is_hidden_only_when_a_side_has_a_few_people():
    """Hidden when the host's or the guests' people are 1 to k - 1; with nobody on one side the
    share is simply 0 % or 100 % and singles out no one."""
    from hubbar.occupancy.metrics import Metric, Occupancy, OrganisationRow
    from hubbar.occupancy.operations import EVALUATOR, MANAGER, Access, protect

    evaluator = Access(EVALUATOR, (), None, names=False, k=3)

    def share(rows, value, seen=evaluator):
        result = Occupancy([], MON, SUN, AFTER, False, None)
        result.organisations = [
            OrganisationRow(i, name, name, is_host, users=users)
            for i, (name, is_host, users) in enumerate(rows, start=1)
        ]
        result.metrics["cross_org_share"] = Metric("cross_org_share", value)
        protect(result, seen)
        return result.value("cross_org_share"), result.suppressed_metrics

    # Nobody of the host's books: every booked hour is a guest's.
    assert share([("KuF", False, 4), ("UtbF", False, 1)], 1.0) == (1.0, set())
    # Nobody of the guests' books: no booked hour is.
    assert share([("SSA", True, 5)], 0.0) == (0.0, set())
    # One host person (k = 3): the share would give their hours away.
    assert share([("SSA", True, 1), ("KuF", False, 6)], 0.9) == (None, {"cross_org_share"})
    # Two guests: as small a group on the other side.
    assert share([("SSA", True, 6), ("KuF", False, 2)], 0.2) == (None, {"cross_org_share"})
    # Exactly k on each side is shown.
    assert share([("SSA", True, 3), ("KuF", False, 3)], 0.5) == (0.5, set())
    manager = Access(MANAGER, (), None, names=True, k=None)
    assert share([("SSA", True, 1), ("KuF", False, 6)], 0.9, manager) == (0.9, set())
