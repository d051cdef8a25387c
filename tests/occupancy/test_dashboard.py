"""The occupancy dashboard: who sees it, that its figures are compute()'s figures, the period
picker, bad input, and the charts with their words and tables."""

from __future__ import annotations

import re
from datetime import date

import pytest

from hubbar.extensions import db
from hubbar.occupancy.metrics import compute
from tests.bookings.clock import at, frozen
from tests.factories import (
    login,
    make_admin,
    make_evaluator,
    make_hub,
    make_hub_manager,
    make_org_admin,
    make_pilot,
    make_user,
)
from tests.helpers import location, text
from tests.occupancy.conftest import LONG_AGO, book, hub_with_desks

WEEK = {"period": "custom", "from": "2026-03-02", "to": "2026-03-08"}
AFTER = "2026-03-20"  # long after the week: nothing is partial
NAMES = ("Ulla Ek", "Sven Berg", "Tove Lind")
NBSP = "\u00a0"


def get(client, **args):
    return client.get("/dashboard", query_string=args)


def card(page: str, key: str) -> str:
    """The text of one key figure card."""
    match = re.search(rf'<li class="dash-card" id="figure-{key}">(.*?)</li>', page, flags=re.S)
    assert match, f"no card for {key}"
    return match.group(1)


def card_value(page: str, key: str) -> str:
    return re.search(r'<p class="dash-value">([^<]*)', card(page, key)).group(1).strip()


def table_rows(page: str, caption: str, marker: str | None = None) -> dict[str, list[str]]:
    """The rows of the table with ``caption`` (or the first table after ``marker``): row
    header -> cells."""
    start = re.escape(marker) if marker else rf"<caption>{re.escape(caption)}</caption>"
    match = re.search(rf"{start}(.*?)</table>", page, flags=re.S)
    assert match, f"no table {caption or marker!r}"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), flags=re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, flags=re.S)
        if header:
            rows[header.group(1).strip()] = [
                c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
            ]
    return rows


@pytest.fixture()
def manager(week):
    hub, _ = week
    return make_hub_manager(hub, locale="en")


# --- who sees what -------------------------------------------------------------------------


@frozen(AFTER, "12:00")
def test_a_manager_sees_their_hub(client, week, manager):
    hub, _ = week
    login(client, manager)
    response = get(client, **WEEK)

    assert response.status_code == 200
    page = text(response)
    assert "Occupancy of Kungsklippan 6" in page
    assert "2026-03-02 to 2026-03-08" in page
    assert f'type="checkbox" name="hub" value="{hub.id}" id="hub-{hub.id}" checked' in page


def test_a_manager_may_not_see_another_hub(client, week, manager):
    other = make_hub(name="Annan hubb")
    login(client, manager)

    response = get(client, hub=other.id, **WEEK)

    assert response.status_code == 403
    page = text(response)
    assert "You do not have permission to see the occupancy of that hub." in page
    assert 'class="dash-form"' in page  # the form again, nothing else
    assert "dash-card" not in page and "Annan hubb" not in page


def test_the_navigation_links_the_dashboard_for_managers_only(client, week, manager):
    login(client, manager)
    assert 'href="/dashboard"' in text(client.get("/"))
    client.post("/logout")
    employee = make_user(locale="en")
    login(client, employee)
    assert 'href="/dashboard"' not in text(client.get("/"))


def test_an_employee_is_refused(client, week):
    login(client, make_user(week[0].host_organisation))

    response = get(client)

    assert response.status_code == 403
    assert "dash-form" not in text(response)


def test_a_visitor_is_sent_to_log_in(client):
    response = get(client)

    assert response.status_code == 302
    assert location(response).startswith("/login")


@frozen(AFTER, "12:00")
def test_a_system_admin_sees_every_hub(client, week):
    login(client, make_admin(locale="en"))
    response = get(client, hub=week[0].id, **WEEK)

    assert response.status_code == 200
    assert card_value(text(response), "booking_rate") == "16%"


def add_kuf_person(week, kuf):
    """A third KuF person, so KuF has 3 people in the week and SSA only 1 (Sven)."""
    hub, _ = week
    person = make_user(kuf, display_name="Per Ny")
    book(hub.desks[1], person, at("2026-03-06", "09:00"), at("2026-03-06", "10:00"),
         created=LONG_AGO)  # fmt: skip
    return person


@frozen(AFTER, "12:00")
def test_an_evaluator_sees_the_pilot_hub_without_names(client, week, kuf, ssa):
    hub, _ = week
    add_kuf_person(week, kuf)
    evaluator = make_evaluator(make_pilot([hub], start_date=date(2026, 3, 2)), locale="en")
    login(client, evaluator)

    response = get(client, **WEEK)

    assert response.status_code == 200
    page = text(response)
    for name in (*NAMES, "Per Ny"):
        assert name not in page
    rows = table_rows(page, "Per organisation")
    ssa_row = rows["Stadsarkivet (SSA), host"]
    assert ssa_row == ["< 3"] * 8  # Sven alone: no number of SSA's is shown
    # KuF is hidden too: with it shown, SSA's figures would be the totals minus KuF's.
    assert rows["Kulturförvaltningen (KuF)"] == ["< 3"] * 8
    # SSA's booked desk-hours (4.0 h) and share appear nowhere, in the chart neither.
    chart = table_rows(page, "Booked desk-hours per organisation")
    assert chart["Stadsarkivet"] == ["< 3"]
    assert chart["Kulturförvaltningen"] == ["< 3"]
    # Nor through the cross-organisation share (KuF's 9.5 h of the 13.5 h booked).
    assert card_value(page, "cross_org_share") == "–"
    assert "32%" not in str(rows) and "32%" not in str(chart)  # SSA's share
    assert 'shown as "< 3"' in page


@frozen(AFTER, "12:00")
def test_an_evaluator_sees_the_share_when_nobody_of_the_host_booked(client, ssa, kuf):
    """Every booked hour a guest's: the share is 100 % and singles out no one."""
    hub = hub_with_desks(1, host=ssa, name="Kungsklippan 6")
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        book(hub.desks[0], make_user(kuf), at(day, "09:00"), at(day, "11:00"), created=LONG_AGO)
    login(client, make_evaluator(make_pilot([hub]), locale="en"))

    page = text(get(client, **WEEK))

    assert card_value(page, "cross_org_share") == "100%"
    assert table_rows(page, "Per organisation")["Kulturförvaltningen (KuF)"][0] == "3"


@frozen(AFTER, "12:00")
@pytest.mark.parametrize("small", [True, False], ids=["small", "large"])
def test_an_evaluator_may_not_single_out_an_organisation(client, week, ssa, kuf, small):
    """One organisation beside the totals would give the others away by subtraction."""
    hub, _ = week
    add_kuf_person(week, kuf)
    evaluator = make_evaluator(make_pilot([hub]), locale="en")
    login(client, evaluator)

    response = get(client, organisation=(ssa if small else kuf).id, **WEEK)

    assert response.status_code == 403
    page = text(response)
    assert "Evaluators see all organisations together" in page
    assert "dash-card" not in page and "<figure" not in page
    assert "Sven Berg" not in page


def test_an_evaluator_may_not_see_another_hub(client, week):
    hub, _ = week
    evaluator = make_evaluator(make_pilot([make_hub()]), locale="en")
    login(client, evaluator)

    assert get(client, hub=hub.id, **WEEK).status_code == 403


@frozen(AFTER, "12:00")
def test_an_organisation_admin_sees_only_their_staff(client, week, ssa, kuf):
    login(client, make_org_admin(ssa, locale="en"))

    response = get(client, **WEEK)

    assert response.status_code == 200
    page = text(response)
    assert card_value(page, "booking_rate") == "5%"  # Sven's 4 h of the hub's 80 h
    assert card_value(page, "unique_users") == "1"
    rows = table_rows(page, "Per organisation")
    assert list(rows) == ["Stadsarkivet (SSA), host"]
    assert "Kulturförvaltningen" not in re.search(
        r'<select name="organisation".*?</select>', page, flags=re.S
    ).group(0)
    assert "Only bookings by people from Stadsarkivet count" in page


def test_an_organisation_admin_may_not_choose_another_organisation(client, week, ssa, kuf):
    login(client, make_org_admin(ssa, locale="en"))

    response = get(client, organisation=kuf.id, **WEEK)

    assert response.status_code == 403
    assert "You can see only your own organisation&#39;s use" in response.get_data(as_text=True)


# --- the figures ---------------------------------------------------------------------------


@frozen(AFTER, "12:00")
def test_the_key_figures_are_computes_figures_in_swedish(client, week):
    hub, _ = week
    login(client, make_hub_manager(hub))  # Swedish

    page = text(get(client, **WEEK))

    # By hand (tests/occupancy/test_metrics.py): 12.5 of 80 desk-hours booked is 15.625 %.
    expected = {
        "booking_rate": f"16{NBSP}%",
        "utilisation": f"11{NBSP}%",  # 8 h 50 min of 80 h
        "no_show_rate": f"20{NBSP}%",
        "mean_daily_peak": f"50{NBSP}%",
        "max_daily_peak": f"100{NBSP}%",
        "unique_users": "3",
        "cross_org_share": f"68{NBSP}%",
        "demand_misses": "2",
        "desks_needed": "3",
    }
    assert {key: card_value(page, key) for key in expected} == expected
    assert f"12,5{NBSP}h" in page  # booked desk-hours, with a decimal comma
    days = table_rows(page, "", marker='id="table-days"')
    assert days["2026-03-02"][:4] == [f"16,0{NBSP}h", f"7,0{NBSP}h", f"6,8{NBSP}h", f"44{NBSP}%"]


@frozen(AFTER, "12:00")
def test_the_page_shows_what_compute_returns(client, app, week, manager):
    hub, _ = week
    login(client, manager)
    page = text(get(client, **WEEK))
    result = compute([hub], date(2026, 3, 2), date(2026, 3, 8))

    assert card_value(page, "booking_rate") == "16%"
    assert result.value("booking_rate") == pytest.approx(0.15625)
    days = table_rows(page, "Per day")
    assert list(days) == [row.day.isoformat() for row in result.days]
    assert days["2026-03-02"] == [
        f"16.0{NBSP}h", f"7.0{NBSP}h", f"6.8{NBSP}h", "44%", "43%", "100%", "2", "0", "2",
    ]  # fmt: skip
    desks = table_rows(page, "Per desk")
    assert desks["D1"][:5] == [f"40.0{NBSP}h", f"8.0{NBSP}h", f"4.8{NBSP}h", "20%", "12%"]
    assert desks["D2"][-1] == "60% (3 of 5)"  # Mon, Tue, Thu
    orgs = table_rows(page, "Per organisation")
    assert orgs["Stadsarkivet (SSA), host"] == ["2", "1", "1", f"4.0{NBSP}h", "32%", "0", "0", "0"]
    assert orgs["Kulturförvaltningen (KuF)"] == [
        "5", "2", "1", f"8.5{NBSP}h", "68%", "1", "3", "2",
    ]  # fmt: skip
    lead = table_rows(page, "How long before the start bookings were made")
    assert [cells[0] for cells in lead.values()] == ["1", "2", "1", "1", "0"]
    other = re.search(r'<tr id="figure-visits_per_user">(.*?)</tr>', page, flags=re.S).group(1)
    assert ">1.7<" in other  # 5 visits by 3 people, one decimal
    lead_median = re.search(
        r'<tr id="figure-lead_time_median_hours">(.*?)</tr>', page, flags=re.S
    ).group(1)
    assert f"23.0{NBSP}h" in lead_median


@frozen(AFTER, "12:00")
def test_comparison_with_the_previous_period(client, week, manager, ssa):
    hub, _ = week
    # The week before: 3 h on D1 (09–13 with lunch closed 12–13) of 80 h is 3.75 %, shown 4 %.
    sven = make_user(ssa)
    book(hub.desks[0], sven, at("2026-02-23", "09:00"), at("2026-02-23", "13:00"),
         created=LONG_AGO)  # fmt: skip
    login(client, manager)

    page = text(get(client, **WEEK))

    assert "Compared with the 7 days before: 2026-02-23 to 2026-03-01." in page
    booking_rate = card(page, "booking_rate")
    assert "previous period: 4%" in booking_rate
    assert "▲" in booking_rate and "up 12 points" in booking_rate  # 16 % − 4 %, as shown
    users = card(page, "unique_users")
    assert "previous period: 1" in users and "up 2" in users
    misses = card(page, "demand_misses")
    assert "previous period: 0" in misses and "up 2" in misses
    no_shows = card(page, "no_show_rate")  # the week before had 1 booking, checked in: 0 %
    assert "previous period: 100%" not in no_shows


@frozen(AFTER, "12:00")
def test_a_figure_going_down_says_so(client, week, manager):
    login(client, manager)
    # The week after the hand-computed week: nothing booked, compared with it.
    page = text(get(client, period="custom", **{"from": "2026-03-09", "to": "2026-03-15"}))

    booking_rate = card(page, "booking_rate")
    assert card_value(page, "booking_rate") == "0%"
    assert "▼" in booking_rate and "down 16 points" in booking_rate
    no_shows = card(page, "no_show_rate")
    assert "–" in no_shows and "no bookings that needed check-in" in no_shows


# --- the period picker ---------------------------------------------------------------------


def chosen_dates(page: str) -> tuple[str, str]:
    first = re.search(r'name="from" id="from" value="([^"]*)"', page).group(1)
    last = re.search(r'name="to" id="to" value="([^"]*)"', page).group(1)
    return first, last


@pytest.mark.parametrize(
    ("period", "dates"),
    [
        ("this_week", ("2026-03-02", "2026-03-08")),
        ("last_4_weeks", ("2026-02-02", "2026-03-01")),
        ("this_month", ("2026-03-01", "2026-03-31")),
        ("pilot", ("2026-02-16", "2026-04-10")),
    ],
)
@frozen("2026-03-04", "10:00")  # a Wednesday
def test_each_preset_resolves_to_its_dates(client, week, period, dates):
    hub, _ = week
    pilot = make_pilot([hub], start_date=date(2026, 2, 16), end_date=date(2026, 4, 10))
    login(client, make_evaluator(pilot, locale="en"))

    response = get(client, period=period, pilot=pilot.id)

    assert response.status_code == 200
    page = text(response)
    assert chosen_dates(page) == dates
    assert f"{dates[0]} to {dates[1]}" in page
    assert f'name="period" value="{period}" id="period-{period}" checked' in page


@frozen("2026-03-08", "20:00")  # Sunday
def test_the_default_is_this_week_at_the_managers_hubs(client, week, manager):
    hub, _ = week
    make_hub(name="Annan hubb")
    login(client, manager)

    page = text(get(client))

    assert chosen_dates(page) == ("2026-03-02", "2026-03-08")
    assert card_value(page, "booking_rate") == "16%"
    assert "Annan hubb" not in page


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "status", "message", "field"),
    [
        ({"from": "2026-02-30", "to": "2026-03-08"}, 422, "Give a date as YYYY-MM-DD.", "from"),
        ({"from": "yesterday", "to": "2026-03-08"}, 422, "Give a date as YYYY-MM-DD.", "from"),
        (
            {"from": "2026-03-08", "to": "2026-03-02"},
            422,
            "The last day must not be before the first.",
            "to",
        ),
        (
            {"from": "2020-01-01", "to": "2026-03-02"},
            422,
            "Choose a period of at most 1098 days.",
            "to",
        ),
        (
            {"from": "1999-12-31", "to": "2000-01-05"},
            422,
            "Choose a date between 2000-01-01 and 2099-12-31.",
            "from",
        ),
    ],
)
def test_a_bad_custom_period_shows_the_form_again(client, week, manager, args, status, message,
                                                   field):  # fmt: skip
    login(client, manager)

    response = get(client, period="custom", **args)

    assert response.status_code == status
    page = text(response)
    assert message in page
    assert f'id="{field}-error"' in page  # beside the field, and in the summary above
    assert f'href="#{field}"' in page
    assert 'aria-invalid="true"' in page
    assert "dash-card" not in page and "<figure" not in page
    assert chosen_dates(page) == (args["from"], args["to"])  # what was typed, to correct
    hub = week[0]
    assert f'value="{hub.id}" id="hub-{hub.id}" checked' in page  # the hubs it would show


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ({"hub": "abc"}, 422),
        ({"hub": "99999"}, 404),
        ({"hub": "99999999999999999999"}, 422),
        ({"period": "next_year"}, 422),
        ({"period": "pilot"}, 422),
        ({"pilot": "99999"}, 404),
        ({"organisation": "99999"}, 404),
        ({"organisation": "-1"}, 422),
    ],
)
def test_other_bad_input_is_refused_clearly(client, week, manager, args, status):
    login(client, manager)

    response = get(client, **args)

    assert response.status_code == status
    page = text(response)
    assert 'class="error-summary"' in page and 'class="dash-form"' in page


# --- what else the page says ---------------------------------------------------------------


@frozen("2026-03-04", "10:30")  # Wednesday
def test_a_period_reaching_now_says_how_far_it_counts(client, week, manager):
    login(client, manager)

    page = text(get(client, period="this_week"))

    assert "Counted up to 10:30 today." in page
    # Monday and Tuesday, and Wednesday 08–10.30: (8 + 8 + 2.5) h × 2 desks; the week before
    # counted up to the same point, so the capacities compare.
    capacity = re.search(r'<tr id="figure-capacity_hours">(.*?)</tr>', page, flags=re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)', capacity) == [f"37.0{NBSP}h", f"37.0{NBSP}h"]
    assert "unchanged" in capacity
    assert (
        "Compared with the 7 days before (2026-02-23 to 2026-03-01), counted up to the same "
        "point: 2026-02-25 10:30." in page
    )


@frozen(AFTER, "12:00")
def test_a_past_period_has_no_partial_note(client, week, manager):
    login(client, manager)
    page = text(get(client, **WEEK))
    assert "Counted up to" not in page


@frozen(AFTER, "12:00")  # the weekend: the hub is closed
def test_an_empty_period_is_explained(client, week, manager):
    login(client, manager)

    response = get(client, period="custom", **{"from": "2026-03-07", "to": "2026-03-08"})

    assert response.status_code == 200
    page = text(response)
    assert "Nothing to count in this period" in page
    assert "<figure" not in page and "dash-card" not in page


@frozen(AFTER, "12:00")
def test_charts_have_text_alternatives_and_tables(client, week, manager):
    login(client, manager)

    page = text(get(client, **WEEK))

    figures = re.findall(r'<figure class="dash-chart" id="chart-(\w+)">(.*?)</figure>', page,
                         flags=re.S)  # fmt: skip
    assert [key for key, _ in figures] == [
        "daily", "heatmap", "desks", "organisations", "lead_times",
    ]  # fmt: skip
    for key, body in figures:
        img = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)">', body)
        assert img, key
        summary = re.search(r'<span class="dash-chart-summary">([^<]+)</span>', body).group(1)
        assert img.group(1) == summary
        assert "<figcaption>" in body
        assert "Show the table" in body
        assert '<th scope="col"' in body and '<th scope="row">' in body
    assert "5 open days from 2026-03-02 to 2026-03-06." in page
    desks = table_rows(page, "Booking rate per desk")
    assert desks == {"D1": ["20%"], "D2": ["11%"]}


@frozen(AFTER, "12:00")
def test_downloads_keep_the_selection(client, week, manager):
    hub, _ = week
    login(client, manager)

    page = get(client, **WEEK).get_data(as_text=True)

    links = re.findall(r'href="(/dashboard/export\.[^"]+)"', page)
    assert any(link.startswith("/dashboard/export.xlsx?") for link in links)
    tables = {re.search(r"table=(\w+)", link).group(1) for link in links if "table=" in link}
    assert tables == {"days", "organisations", "desks", "heatmap", "metrics", "bookings"}
    for link in links:
        assert f"hub={hub.id}" in link and "from=2026-03-02" in link and "to=2026-03-08" in link
    csv = client.get(links[1].replace("&amp;", "&"))
    assert csv.status_code == 200


@frozen(AFTER, "12:00")
def test_several_hubs_name_the_hub_of_each_desk(client, week, ssa):
    hub, _ = week
    other = make_hub(host=ssa, desks=1, name="Liljeholmen")
    other.desks[0].created_at = LONG_AGO
    db.session.commit()
    login(client, make_admin(locale="en"))

    page = text(get(client, hub=[hub.id, other.id], **WEEK))

    assert "Occupancy of Kungsklippan 6 and Liljeholmen" in page
    desks = table_rows(page, "Booking rate per desk")
    assert set(desks) == {"Kungsklippan 6: D1", "Kungsklippan 6: D2", "Liljeholmen: D1"}


@frozen(AFTER, "12:00")
def test_the_page_computes_twice(client, week, manager, monkeypatch):
    from hubbar.occupancy import operations

    calls = []
    real = operations.compute

    def counting(*args, **kwargs):
        calls.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "compute", counting)
    login(client, manager)

    assert get(client, **WEEK).status_code == 200
    assert calls == [
        (date(2026, 3, 2), date(2026, 3, 8)),
        (date(2026, 2, 23), date(2026, 3, 1)),
    ]


@frozen(AFTER, "12:00")
@frozen(AFTER, "12:00")
def test_an_organisation_admin_may_choose_their_own_organisation(client, week, ssa):
    login(client, make_org_admin(ssa, locale="en"))

    response = get(client, organisation=ssa.id, **WEEK)

    assert response.status_code == 200
    assert card_value(text(response), "booking_rate") == "5%"


def test_a_system_admin_without_hubs_is_told_so(client):
    login(client, make_admin(locale="en"))

    response = get(client)

    assert response.status_code == 200
    assert "There is no hub whose occupancy you can see yet." in text(response)


@frozen("2026-03-04", "10:30")
def test_a_period_that_has_not_begun_says_so(client, week, manager):
    login(client, manager)

    response = get(client, period="custom", **{"from": "2026-03-09", "to": "2026-03-15"})

    assert response.status_code == 200
    page = text(response)
    assert "The period has not begun: nothing is counted yet." in page
    assert "Counted up to" not in page
    assert "<figure" not in page and "dash-card" not in page


def test_a_pilot_the_user_does_not_evaluate_is_refused(client, week):
    hub, _ = week
    login(client, make_evaluator(make_pilot([hub]), locale="en"))
    other = make_pilot([hub], name="Hemlig pilot")

    response = get(client, period="pilot", pilot=other.id)

    assert response.status_code == 403
    assert "Hemlig pilot" not in text(response)
