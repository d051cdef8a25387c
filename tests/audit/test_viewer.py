"""The audit log page: filters by who, what, which object and when; pages that keep the filter;
events that read as words; a clear message for a filter that cannot be."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from hubbar.accounts.models import User
from hubbar.audit.operations import record
from hubbar.extensions import db
from tests.factories import (
    login,
    make_admin,
    make_hub,
    make_hub_manager,
    make_organisation,
    make_user,
)
from tests.helpers import shows, snapshot, sv, text


def _event(actor, action, obj=None, summary="", changes=None, at: datetime | None = None):
    event = record(actor, action, obj, summary, changes)
    if at is not None:
        event.occurred_at = at  # still pending: set before it is first written
    db.session.commit()
    return event


def _summaries(response) -> list[str]:
    """The summary cells of the table, in order."""
    return re.findall(r"<td>(ev-[^<]*)</td>", response.get_data(as_text=True))


@pytest.fixture()
def admin(client):
    """A system admin who reads English (the new texts have no Swedish yet), logged in."""
    user = make_admin(display_name="Alex Andersson", email="alex@ssa.example.org", locale="en")
    login(client, user)
    return user


@pytest.fixture()
def log(admin):
    """A small log: two actors, three kinds of object, one event of the system."""
    asa = make_user(display_name="Åsa Öberg", email="asa.oberg@kuf.example.org")
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    hub = make_hub(name="Kungsklippan 6")
    return {
        "asa": asa,
        "org": org,
        "hub": hub,
        "events": [
            _event(
                admin, "organisation.create", org, "ev-org", at=datetime(2026, 3, 1, 9, tzinfo=UTC)
            ),
            _event(
                asa,
                "hub.update",
                hub,
                "ev-hub",
                {"name": ["Kungsklippan", "Kungsklippan 6"]},
                at=datetime(2026, 3, 2, 9, tzinfo=UTC),
            ),
            _event(None, "pilot.status", None, "ev-system", at=datetime(2026, 3, 3, 9, tzinfo=UTC)),
        ],
    }


def test_only_system_admins_see_the_log(client):
    hub = make_hub()
    for user in (make_user(), make_hub_manager(hub)):
        login(client, user)
        for url in ("/admin/audit", "/admin/audit/export.csv", "/admin/audit/export.xlsx"):
            assert client.get(url).status_code == 403, url
    client.post("/logout")
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_event_reads_as_words(client, log):
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert shows(page, "3 events")
    assert _summaries(page) == ["ev-system", "ev-hub", "ev-org"]  # newest first
    assert shows(page, "Hub settings changed") and shows(page, "hub.update")
    assert shows(page, "Åsa Öberg") and shows(page, "asa.oberg@kuf.example.org")
    assert shows(page, "the system")
    # The change as old → new, the time in Stockholm (UTC+1 in March), the object linked.
    assert re.search(r"<code>name</code>: Kungsklippan <span[^>]*>→</span>", text(page))
    assert shows(page, "2026-03-02 10:00")
    assert f'href="/admin/hubs/{log["hub"].id}/settings"' in text(page)
    assert f'href="/admin/organisations/{log["org"].id}"' in text(page)


def test_the_page_in_swedish(client, log):
    """Texts that exist in the Swedish catalogue already; the new ones need the lead's update."""
    client.post("/logout")
    login(client, make_admin(locale="sv"))
    page = client.get("/admin/audit")
    assert shows(page, sv("%(num)d event", "%(num)d events", num=3))
    assert shows(page, "2026-03-02 10.00")


def test_an_erased_actor_keeps_the_event_without_a_name(client, log):
    asa_id = log["asa"].id
    db.session.delete(db.session.get(User, asa_id))
    db.session.commit()
    page = client.get("/admin/audit?action=hub.update")
    assert _summaries(page) == ["ev-hub"]
    assert not shows(page, "Åsa Öberg")
    assert shows(page, "a deleted account")


def test_a_deleted_object_is_not_linked(client, admin):
    org = make_organisation(name="Borttagen förvaltning")
    _event(admin, "organisation.update", org, "ev-gone")
    org_id = org.id
    record(admin, "organisation.update", None, "ev-other")
    db.session.delete(org)
    db.session.commit()
    page = client.get("/admin/audit")
    assert f'href="/admin/organisations/{org_id}"' not in text(page)
    assert shows(page, f"Organisation {org_id}")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=%C3%85SA", ["ev-hub"]),  # "ÅSA": any case, also beyond ASCII
        ("actor=kuf.example", ["ev-hub"]),  # part of the e-mail address
        ("actor=alex", ["ev-org"]),
        ("actor=%25", []),  # a literal %, not "anything"
        ("actor=_", []),
        ("action=organisation.create", ["ev-org"]),
        ("type=Hub", ["ev-hub"]),
        ("type=Hub&action=organisation.create", []),
        ("from=2026-03-02", ["ev-system", "ev-hub"]),
        ("to=2026-03-02", ["ev-hub", "ev-org"]),
        ("from=2026-03-02&to=2026-03-02", ["ev-hub"]),
        ("from=0001-01-01&to=9999-12-31", ["ev-system", "ev-hub", "ev-org"]),
        ("actor=++&action=&type=&object_id=&from=&to=", ["ev-system", "ev-hub", "ev-org"]),
    ],
)
def test_filters(client, log, query, expected):
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200
    assert _summaries(page) == expected


def test_filter_by_object(client, log):
    page = client.get(f"/admin/audit?type=Hub&object_id={log['hub'].id}")
    assert _summaries(page) == ["ev-hub"]
    page = client.get(f"/admin/audit?object_id={log['hub'].id + 1000}")
    assert _summaries(page) == []


def test_dates_are_stockholm_dates(client, admin):
    """A day runs from midnight to midnight in Stockholm, whatever the server's zone, also on
    the day summer time starts (2026-03-29, 23 hours long)."""
    _event(admin, "hub.update", None, "ev-before", at=datetime(2026, 3, 28, 22, 59, tzinfo=UTC))
    _event(admin, "hub.update", None, "ev-first", at=datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    _event(admin, "hub.update", None, "ev-last", at=datetime(2026, 3, 29, 21, 59, tzinfo=UTC))
    _event(admin, "hub.update", None, "ev-after", at=datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
    page = client.get("/admin/audit?from=2026-03-29&to=2026-03-29")
    assert _summaries(page) == ["ev-last", "ev-first"]


def test_choices_are_what_the_log_holds(client, log):
    page = client.get("/admin/audit")
    options = re.findall(r'<option value="([^"]*)"', page.get_data(as_text=True))
    assert {"Hub", "Organisation", "hub.update", "pilot.status"} <= set(options)
    assert "Desk" not in options and "closure.create" not in options


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-02-30", "from", "Enter a valid date, like 2026-03-31."),
        ("to=yesterday", "to", "Enter a valid date, like 2026-03-31."),
        ("from=2026-03-05&to=2026-03-01", "to", "The end date is before the start date."),
        ("object_id=abc", "object_id", "Enter an object number: a whole number from 1."),
        ("object_id=0", "object_id", "Enter an object number: a whole number from 1."),
        ("object_id=99999999999999999999999", "object_id", "a whole number from 1"),
        ("object_id=%C2%B2", "object_id", "a whole number from 1"),  # "²" is a digit to Python
        ("action=Nonsense", "action", "No event has this action. Choose one from the list."),
        ("type=Nonsense", "type", "No event is about this type. Choose one from the list."),
        ("actor=" + "x" * 101, "actor", "Use at most 100 characters."),
    ],
)
def test_a_filter_that_cannot_be_gets_a_clear_message(client, log, query, field, message):
    before = snapshot()
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 422
    assert shows(page, message)
    assert f'href="#{field}"' in text(page)  # the summary leads to the field
    assert re.search(
        rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', text(page)
    )
    assert _summaries(page) == []
    assert snapshot() == before


def test_pages_keep_the_filter(client, admin):
    for n in range(51):
        _event(admin, "hub.update", None, f"ev-{n:02d}")
    _event(admin, "desk.update", None, "ev-desk")
    first = client.get("/admin/audit?action=hub.update&from=2020-01-01")
    assert shows(first, "Page 1 of 2")
    assert "ev-desk" not in _summaries(first)
    [older] = re.findall(r'<a href="([^"]*)">Older</a>', text(first))
    assert "action=hub.update" in older and "from=2020-01-01" in older and "page=2" in older
    second = client.get(older)
    assert _summaries(second) == ["ev-00"]
    exports = re.findall(r'href="(/admin/audit/export\.(?:csv|xlsx)[^"]*)"', text(first))
    assert len(exports) == 2
    assert all("action=hub.update" in url and "from=2020-01-01" in url for url in exports)


def test_no_events(client, admin):
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert shows(page, "No events.")
    assert shows(page, "0 events")


def _recorded_actions() -> set[str]:
    """Every action the code records: the second argument of record(…), or the constants an
    ``action`` variable is set to (also as ``action, new = "site_text.reset", …``)."""
    import ast
    from pathlib import Path

    found = set()
    for path in Path(__file__).resolve().parents[2].joinpath("hubbar").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record":
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                    found.add(node.args[1].value)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if getattr(target, "id", None) == "action":
                        values = [node.value]
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        values = [
                            v
                            for t, v in zip(target.elts, node.value.elts, strict=False)
                            if getattr(t, "id", None) == "action"
                        ]
                    else:
                        continue
                    found |= {
                        n.value
                        for value in values
                        for n in ast.walk(value)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    }
    return {a for a in found if "." in a}


def test_every_recorded_action_reads_as_words():
    from hubbar.audit.labels import ACTION_NAMES

    actions = _recorded_actions()
    assert {"hub.update", "user.invite", "site_text.reset", "user.erased"} <= actions
    assert actions - set(ACTION_NAMES) == set()
