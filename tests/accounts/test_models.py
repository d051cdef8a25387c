"""The database itself refuses bad organisations, users and role assignments (SQLite and
PostgreSQL alike), whatever code writes them."""

from __future__ import annotations

import pytest
from sqlalchemy import column, insert, table

from hubbar.accounts.models import Organisation, Role, RoleAssignment, User
from hubbar.extensions import db
from tests.factories import make_hub, make_organisation, make_pilot, make_user
from tests.helpers import count, refused_by


def _insert(table_name: str, **values) -> None:
    """Insert without the ORM's own checks (an untyped statement), as another client could."""
    db.session.execute(insert(table(table_name, *map(column, values))).values(**values))
    db.session.flush()


def test_organisation_code_and_name_are_unique(is_postgres):
    make_organisation(name="Kulturförvaltningen", code="KuF")
    with refused_by("uq_organisations_code" if is_postgres else None):
        db.session.add(Organisation(name="Annan", code="KuF"))
        db.session.commit()
    with refused_by("uq_organisations_name" if is_postgres else None):
        db.session.add(Organisation(name="Kulturförvaltningen", code="KF2"))
        db.session.commit()
    assert count(Organisation) == 1


def test_organisation_code_has_two_characters_at_least():
    with refused_by("ck_organisations_code_not_too_short"):
        db.session.add(Organisation(name="Kort", code="K"))
        db.session.commit()
    assert count(Organisation) == 0


def test_organisation_kind_must_be_known():
    with refused_by("ck_organisations_valid_kind"):
        _insert(
            "organisations",
            name="Okänd",
            code="OK",
            kind="ministry",
            created_at="2026-01-01 00:00:00",
        )
    assert count(Organisation) == 0


def test_user_email_is_unique_and_lower_case(is_postgres):
    org = make_organisation()
    make_user(organisation=org, email="anna.berg@kuf.example.org")
    with refused_by("uq_users_email" if is_postgres else None):
        db.session.add(User(email="anna.berg@kuf.example.org", display_name="A", organisation=org))
        db.session.commit()
    with refused_by("ck_users_email_lowercase"):
        db.session.add(User(email="Erik.Sund@ssa.example.org", display_name="E", organisation=org))
        db.session.commit()
    assert count(User) == 1


def test_user_locale_is_swedish_or_english():
    org = make_organisation()
    with refused_by("ck_users_valid_locale"):
        db.session.add(
            User(email="de@example.org", display_name="D", organisation=org, locale="de")
        )
        db.session.commit()
    assert count(User) == 0


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.SYSTEM_ADMIN, {"hub"}),
        (Role.HUB_MANAGER, set()),
        (Role.HUB_MANAGER, {"hub", "organisation"}),
        (Role.EVALUATOR, set()),
        (Role.EVALUATOR, {"hub", "pilot"}),
        (Role.EVALUATOR, {"organisation", "pilot"}),
        (Role.ORG_ADMIN, set()),
        (Role.ORG_ADMIN, {"organisation", "hub"}),
    ],
    ids=lambda v: v.value if isinstance(v, Role) else "+".join(sorted(v)) or "no-scope",
)
def test_role_assignment_needs_its_scope(role, scope):
    user = make_user()
    hub = make_hub()
    objects = {"hub": hub, "pilot": make_pilot([hub]), "organisation": user.organisation}
    with refused_by("ck_role_assignments_valid_scope"):
        db.session.add(
            RoleAssignment(user=user, role=role, **{k: v for k, v in objects.items() if k in scope})
        )
        db.session.commit()
    assert count(RoleAssignment) == 0


def test_role_must_be_known():
    user = make_user()
    # Both checks refuse an unknown role; the database reports whichever it tests first.
    with refused_by("ck_role_assignments_valid_role", "ck_role_assignments_valid_scope"):
        _insert("role_assignments", user_id=user.id, role="emperor", created_at="2026-01-01")
    assert count(RoleAssignment) == 0


def test_each_scoped_role_once_per_user(is_postgres):
    user = make_user()
    hub, other_hub = make_hub(), make_hub()
    pilot = make_pilot([hub])
    # Different scopes are fine: manager of two hubs, evaluator of a pilot and of a hub.
    for role, scope in [
        (Role.SYSTEM_ADMIN, {}),
        (Role.HUB_MANAGER, {"hub": hub}),
        (Role.HUB_MANAGER, {"hub": other_hub}),
        (Role.EVALUATOR, {"pilot": pilot}),
        (Role.EVALUATOR, {"hub": hub}),
        (Role.ORG_ADMIN, {"organisation": user.organisation}),
    ]:
        db.session.add(RoleAssignment(user=user, role=role, **scope))
    db.session.commit()
    assert count(RoleAssignment) == 6

    for index, (role, scope) in {
        "uq_role_assignments_system_admin": (Role.SYSTEM_ADMIN, {}),
        "uq_role_assignments_hub": (Role.HUB_MANAGER, {"hub": hub}),
        "uq_role_assignments_pilot": (Role.EVALUATOR, {"pilot": pilot}),
        "uq_role_assignments_organisation": (Role.ORG_ADMIN, {"organisation": user.organisation}),
    }.items():
        with refused_by(index if is_postgres else None):
            db.session.add(RoleAssignment(user_id=user.id, role=role, **scope))
            db.session.commit()
    assert count(RoleAssignment) == 6


def test_an_organisation_with_users_cannot_be_deleted():
    org = make_organisation()
    make_user(organisation=org)
    with refused_by(None):
        db.session.delete(org)
        db.session.commit()
    assert count(Organisation) == 1
