"""Evaluation criteria: free to change while the pilot is planned, changed with a recorded
reason once it has started, fixed for good once it is reported.

The admin reads English, so the page messages are the English ones until the Swedish
translations of these new pages exist. A recorded change is written in the service's language
(Swedish), like the report that shows it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from flask_babel import force_locale

from hubbar import create_app
from hubbar.errors import InvalidInput, NotAllowed
from hubbar.extensions import db
from hubbar.pilots import operations as ops
from hubbar.pilots.models import Comparator, Criterion, CriterionChange, PilotStatus
from tests.factories import PASSWORD, login, make_admin, make_pilot, make_user
from tests.helpers import (
    audit_events,
    count,
    field_error,
    location,
    reload,
    shows,
    snapshot,
    sv,
    text,
)

NBSP = "\u00a0"


@pytest.fixture()
def admin(client):
    user = make_admin(locale="en", display_name="Ada Admin")
    login(client, user)
    return user


def _planned():
    return make_pilot(name="Touch down Kungsklippan")


def _running():
    return make_pilot(name="Touch down Kungsklippan", status=PilotStatus.RUNNING)


def _new(metric="booking_rate", comparator="at_least", target="60", baseline="", **more) -> dict:
    data = {
        "new-metric": metric,
        "new-comparator": comparator,
        "new-target": target,
        "new-baseline": baseline,
    }
    data.update({f"new-{k}": v for k, v in more.items()})
    return data


def _add(admin, pilot, metric="booking_rate", comparator=Comparator.AT_LEAST, target=0.6, **kw):
    return ops.add_criterion(
        admin, pilot, metric=metric, comparator=comparator, target=target, **kw
    )


# --- describe_criterion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "comparator", "target", "baseline", "expected"),
    [
        ("booking_rate", Comparator.AT_LEAST, 0.6, 0.4, "Booking rate ≥ 60% (baseline 40%)"),
        ("booking_rate", Comparator.AT_LEAST, 0.575, None, "Booking rate ≥ 57.5%"),
        ("no_show_rate", Comparator.AT_MOST, 0.1, None, "No-show rate ≤ 10%"),
        ("lead_time_median_hours", Comparator.AT_MOST, 24, None, "Lead time, median ≤ 24 h"),
        (
            "mean_duration_hours",
            Comparator.AT_LEAST,
            4.5,
            3,
            "Mean booking duration ≥ 4.5 h (baseline 3 h)",
        ),
        ("mean_rating", Comparator.AT_LEAST, 4, None, "Mean rating ≥ 4.0"),
        ("unique_users", Comparator.AT_LEAST, 12, None, "Unique users ≥ 12"),
        ("visits_per_user", Comparator.AT_LEAST, 2.5, None, "Visits per user ≥ 2.5"),
        ("desks_needed", Comparator.AT_MOST, 1000, None, "Desks needed ≤ 1,000"),
    ],
)
def test_describe_criterion_in_english(app, metric, comparator, target, baseline, expected):
    with app.test_request_context(), force_locale("en"):
        assert ops.describe_criterion(metric, comparator, target, baseline) == expected


def test_describe_criterion_in_swedish_and_from_a_criterion(app, admin):
    criterion = _add(admin, _planned(), target=0.6)
    with app.test_request_context(), force_locale("sv"):
        expected = f"{sv('Booking rate')} ≥ 60{NBSP}%"
        assert ops.describe_criterion(criterion) == expected
        assert ops.describe_criterion("booking_rate", Comparator.AT_LEAST, 0.6, None) == expected


# --- while planned ---------------------------------------------------------------------------


def test_rates_are_entered_in_percent(client, admin):
    pilot = _planned()
    response = client.post(
        f"/pilots/{pilot.id}/criteria",
        data=_new(target="60", baseline="40,5", reason="Som kontorets bokningsgrad"),
    )
    assert response.status_code == 302
    assert location(response) == f"/pilots/{pilot.id}/criteria"
    (criterion,) = reload(pilot).criteria
    assert criterion.metric == "booking_rate"
    assert criterion.comparator is Comparator.AT_LEAST
    assert criterion.target == 0.6
    assert criterion.baseline == 0.405
    assert criterion.reason == "Som kontorets bokningsgrad"
    page = client.get(f"/pilots/{pilot.id}/criteria/{criterion.id}")
    assert shows(page, 'name="target" required type="text" value="60"')
    assert shows(page, 'name="baseline" type="text" value="40.5"')


def test_hours_and_ratings_are_stored_as_entered(client, admin):
    pilot = _planned()
    client.post(
        f"/pilots/{pilot.id}/criteria", data=_new("lead_time_median_hours", "at_most", "48")
    )
    client.post(f"/pilots/{pilot.id}/criteria", data=_new("mean_rating", "at_least", "4.2", "3.5"))
    criteria = reload(pilot).criteria
    assert [(c.metric, c.comparator, c.target, c.baseline, c.position) for c in criteria] == [
        ("lead_time_median_hours", Comparator.AT_MOST, 48.0, None, 0),
        ("mean_rating", Comparator.AT_LEAST, 4.2, 3.5, 1),
    ]


def test_changes_while_planned_are_free_and_not_recorded(client, admin):
    pilot = _planned()
    client.post(f"/pilots/{pilot.id}/criteria", data=_new(target="60"))
    criterion = reload(pilot).criteria[0]
    response = client.post(
        f"/pilots/{pilot.id}/criteria/{criterion.id}",
        data={"metric": "booking_rate", "comparator": "at_least", "target": "50", "baseline": ""},
    )
    assert response.status_code == 302
    assert reload(criterion).target == 0.5
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}/remove")
    assert response.status_code == 302
    assert count(Criterion) == 0
    assert count(CriterionChange) == 0
    actions = [e.action for e in audit_events() if e.action.startswith("criterion.")]
    assert actions == ["criterion.add", "criterion.update", "criterion.remove"]


BAD_CRITERIA = [
    ({"new-metric": ""}, "new-metric", "Choose a metric."),
    ({"new-metric": "happiness"}, "new-metric", "Not a valid choice."),
    ({"new-comparator": "about"}, "new-comparator", "Not a valid choice."),
    ({"new-target": ""}, "new-target", "Enter a target."),
    ({"new-target": "abc"}, "new-target", "Enter a number."),
    ({"new-target": "NaN"}, "new-target", "Enter a number."),
    ({"new-target": "Infinity"}, "new-target", "Enter a number."),
    ({"new-target": "150"}, "new-target", "Enter a percentage from 0 to 100."),
    ({"new-target": "-5"}, "new-target", "Enter a percentage from 0 to 100."),
    ({"new-baseline": "101"}, "new-baseline", "Enter a percentage from 0 to 100."),
    (
        {"new-metric": "mean_rating", "new-target": "6"},
        "new-target",
        "Enter a rating from 1 to 5.",
    ),
    (
        {"new-metric": "mean_rating", "new-target": "0"},
        "new-target",
        "Enter a rating from 1 to 5.",
    ),
    (
        {"new-metric": "lead_time_median_hours", "new-target": "-1"},
        "new-target",
        "Enter a number of 0 or more.",
    ),
    (
        {"new-metric": "unique_users", "new-target": "1e12"},
        "new-target",
        "Enter a smaller number.",
    ),
    ({"new-reason": "x" * 301}, "new-reason", "Field cannot be longer than 300 characters."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_CRITERIA)
def test_bad_criteria_are_refused_and_change_nothing(client, admin, changes, field, message):
    pilot = _planned()
    before = snapshot()
    data = {**_new(), **changes}
    response = client.post(f"/pilots/{pilot.id}/criteria", data=data)
    assert response.status_code == 422
    assert field_error(response, message), message
    assert snapshot() == before


def test_one_criterion_per_metric_and_comparator(client, admin):
    pilot = _planned()
    _add(admin, pilot, target=0.6)
    response = client.post(f"/pilots/{pilot.id}/criteria", data=_new(target="70"))
    assert response.status_code == 422
    assert field_error(
        response, "The pilot has a criterion with this metric and comparator already."
    )
    # The other comparator makes a range, which is allowed.
    response = client.post(
        f"/pilots/{pilot.id}/criteria", data=_new(comparator="at_most", target="90")
    )
    assert response.status_code == 302
    assert count(Criterion) == 2


def test_zero_is_a_target(client, admin):
    pilot = _planned()
    response = client.post(
        f"/pilots/{pilot.id}/criteria", data=_new("no_show_rate", "at_most", "0")
    )
    assert response.status_code == 302
    assert reload(pilot).criteria[0].target == 0.0


def test_metric_is_checked_by_the_operation_too(admin):
    pilot = _planned()
    with pytest.raises(InvalidInput) as refused:
        _add(admin, pilot, metric="happiness", target=1)
    assert refused.value.field == "metric"
    with pytest.raises(InvalidInput) as refused:
        _add(admin, pilot, comparator="about", target=0.5)
    assert refused.value.field == "comparator"
    with pytest.raises(NotAllowed):
        _add(make_user(), pilot)
    assert count(Criterion) == 0


# --- after the start -------------------------------------------------------------------------


def test_locked_page_says_so_and_asks_for_a_reason(client, admin):
    pilot = _running()
    page = client.get(f"/pilots/{pilot.id}/criteria")
    assert shows(
        page,
        "The pilot has started: criteria are locked. A change is recorded and shown in the report.",
    )
    assert shows(page, 'name="new-change_reason"')
    planned = make_pilot()
    page = client.get(f"/pilots/{planned.id}/criteria")
    assert not shows(page, "criteria are locked")
    assert not shows(page, 'name="new-change_reason"')


def test_adding_after_the_start_needs_a_reason(client, admin):
    pilot = _running()
    before = snapshot()
    response = client.post(f"/pilots/{pilot.id}/criteria", data=_new(target="60"))
    assert response.status_code == 422
    assert field_error(response, "Give the reason for the change.")
    response = client.post(
        f"/pilots/{pilot.id}/criteria", data=_new(target="60", change_reason="   ")
    )
    assert field_error(response, "Give the reason for the change.")
    assert snapshot() == before


def test_adding_after_the_start_is_recorded(client, admin):
    pilot = _running()
    with time_machine.travel(datetime(2026, 9, 15, 8, 30, tzinfo=UTC), tick=False):
        login(client, admin)
        response = client.post(
            f"/pilots/{pilot.id}/criteria",
            data=_new(target="60", change_reason="Glömdes före start"),
        )
        assert response.status_code == 302
        assert shows(
            client.get(location(response)),
            "The criterion is added. The change is recorded for the report.",
        )
    (change,) = reload(pilot).criterion_changes
    assert change.user_id == admin.id
    assert change.changed_at == datetime(2026, 9, 15, 8, 30, tzinfo=UTC)
    assert change.before == ""
    assert change.after.startswith(f"{sv('Booking rate')} ≥ 60{NBSP}%")
    assert change.after.endswith("Glömdes före start")


def test_changing_after_the_start_records_before_and_after(client, admin):
    pilot = _running()
    criterion = _add(admin, pilot, target=0.6, change_reason="Fastställt av styrgruppen")
    before = snapshot()
    data = {"metric": "booking_rate", "comparator": "at_least", "target": "50", "baseline": ""}
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}", data=data)
    assert response.status_code == 422
    assert field_error(response, "Give the reason for the change.")
    assert snapshot() == before

    data["change_reason"] = "Två platser var trasiga i tre veckor"
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}", data=data)
    assert response.status_code == 302
    assert reload(criterion).target == 0.5
    added, changed = reload(pilot).criterion_changes
    assert changed.user_id == admin.id
    assert changed.before == f"{sv('Booking rate')} ≥ 60{NBSP}%"
    assert changed.after.startswith(f"{sv('Booking rate')} ≥ 50{NBSP}%")
    assert changed.after.endswith("Två platser var trasiga i tre veckor")

    page = client.get(f"/pilots/{pilot.id}/criteria")
    assert shows(page, "Ada Admin")
    assert shows(page, changed.before) and shows(page, changed.after)


def test_saving_an_unchanged_criterion_after_the_start_records_nothing(client, admin):
    pilot = _running()
    criterion = _add(admin, pilot, target=0.6, change_reason="Fastställt")
    data = {"metric": "booking_rate", "comparator": "at_least", "target": "60", "baseline": ""}
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}", data=data)
    assert response.status_code == 302
    assert count(CriterionChange) == 1  # only the addition


def test_a_changed_reason_alone_is_recorded_with_both_reasons(admin):
    pilot = _running()
    criterion = _add(admin, pilot, target=0.6, reason="Gammal motivering", change_reason="Start")
    ops.update_criterion(
        admin,
        criterion,
        metric="booking_rate",
        comparator=Comparator.AT_LEAST,
        target=0.6,
        reason="Ny motivering",
        change_reason="Förtydligande",
    )
    change = reload(pilot).criterion_changes[-1]
    assert "Gammal motivering" in change.before
    assert "Ny motivering" in change.after and change.after.endswith("Förtydligande")


def test_removing_after_the_start_needs_a_reason_and_is_recorded(client, admin):
    pilot = _running()
    criterion = _add(
        admin, pilot, metric="no_show_rate", comparator="at_most", target=0.1, change_reason="Start"
    )
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}/remove")
    assert response.status_code == 422
    assert field_error(response, "Give the reason for the change.")
    assert count(Criterion) == 1
    response = client.post(
        f"/pilots/{pilot.id}/criteria/{criterion.id}/remove",
        data={"remove-change_reason": "Incheckning krävdes inte"},
    )
    assert response.status_code == 302
    assert count(Criterion) == 0
    removed = reload(pilot).criterion_changes[-1]
    assert removed.before == f"{sv('No-show rate')} ≤ 10{NBSP}%"
    assert removed.after.endswith("Incheckning krävdes inte")
    assert removed.user_id == admin.id


def test_recorded_changes_are_in_the_services_language_whatever_the_admins(admin):
    pilot = _running()
    _add(admin, pilot, target=0.6, change_reason="Start")
    with force_locale("sv"):
        expected = ops.describe_criterion("booking_rate", Comparator.AT_LEAST, 0.6, None)
    assert reload(pilot).criterion_changes[0].after.startswith(expected)
    assert "Bokningsgrad" in expected


# --- reported ----------------------------------------------------------------------------------


def test_reported_pilot_criteria_cannot_change(client, admin):
    pilot = _planned()
    criterion = _add(admin, pilot, target=0.6)
    pilot.status = PilotStatus.REPORTED
    db.session.commit()
    page = client.get(f"/pilots/{pilot.id}/criteria")
    assert shows(page, "The pilot is reported: its criteria can no longer change.")
    assert not shows(page, 'name="new-metric"')
    assert not shows(page, "/remove")
    before = snapshot()
    reason = {"change_reason": "Efteråt"}
    response = client.post(f"/pilots/{pilot.id}/criteria", data=_new(change_reason="Efteråt"))
    assert response.status_code == 422
    edit = {"metric": "booking_rate", "comparator": "at_least", "target": "10", **reason}
    response = client.post(f"/pilots/{pilot.id}/criteria/{criterion.id}", data=edit)
    assert response.status_code == 422
    assert shows(response, "The pilot is reported: its criteria can no longer change.")
    response = client.post(
        f"/pilots/{pilot.id}/criteria/{criterion.id}/remove",
        data={"remove-change_reason": "Efteråt"},
    )
    assert response.status_code == 422
    assert snapshot() == before
    for attempt in (
        lambda: _add(admin, reload(pilot), metric="utilisation", change_reason="Efteråt"),
        lambda: ops.remove_criterion(admin, reload(criterion), change_reason="Efteråt"),
    ):
        with pytest.raises(InvalidInput):
            attempt()
    assert snapshot() == before
    assert "criteria are locked" not in text(page)


# --- with CSRF protection on, as in production -------------------------------------------------


@pytest.fixture()
def protected_client(database_url):
    """A client of a second app on the same database, with CSRF protection on."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "HUBBAR_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "SECRET_KEY": "csrf-test-secret",
        }
    )
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def _token(page, name="csrf_token") -> str:
    found = re.search(rf'name="{name}" (?:type="hidden" )?value="([^"]+)"', text(page))
    return found.group(1)


def test_the_pages_forms_carry_their_tokens(protected_client):
    client = protected_client
    user = make_admin(locale="en")
    pilot = _planned()
    token = _token(client.get("/login"))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})

    page = client.get(f"/pilots/{pilot.id}/criteria")
    response = client.post(
        f"/pilots/{pilot.id}/criteria",
        data={**_new(), "new-csrf_token": _token(page, "new-csrf_token")},
    )
    assert response.status_code == 302
    (criterion,) = reload(pilot).criteria

    page = client.get(f"/pilots/{pilot.id}/criteria")  # the list's own remove button
    response = client.post(
        f"/pilots/{pilot.id}/criteria/{criterion.id}/remove", data={"csrf_token": _token(page)}
    )
    assert response.status_code == 302
    assert count(Criterion) == 0

    page = client.get("/pilots/new")
    assert client.post("/pilots/new", data={"name": "Utan token"}).status_code == 400
    assert _token(page)
