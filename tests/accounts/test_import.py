"""Importing users from CSV, on the admin page and with `flask hubbar import-users`."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from hubbar.accounts.models import User
from hubbar.extensions import db
from tests.factories import login, make_admin, make_org_admin, make_organisation, make_user
from tests.helpers import audit_events, count, field_error, shows, sv

# Line numbers matter: each refused row is reported with its line in the file.
MIXED = "\n".join(
    [
        "email,name,organisation",  # 1: header row
        "anna.berg@kuf.example.org,Anna Berg,KuF",  # 2: good
        "inte-en-adress,Fel Adress,KuF",  # 3: invalid e-mail
        "erik.sund@ssa.example.org,Erik Sund,Okänd förvaltning",  # 4: unknown organisation
        "Johan.Lindqvist@KuF.example.org,Johan Lindqvist,Kulturförvaltningen",  # 5: good (by name)
        "anna.berg@kuf.example.org,Anna Berg igen,KuF",  # 6: duplicate of line 2
        "",  # 7: blank, skipped
        "befintlig@kuf.example.org,Finns Redan,KuF",  # 8: user exists already
        "kort@kuf.example.org,Kort Rad",  # 9: two fields
        "lang@kuf.example.org,Lång Rad,KuF,extra",  # 10: four fields
        "utan.namn@kuf.example.org,,KuF",  # 11: name missing
        "sara.nystrom@kuf.example.org,Sara Nyström,kuf",  # 12: good (code in any case)
    ]
)
GOOD = {
    "anna.berg@kuf.example.org": "Anna Berg",
    "johan.lindqvist@kuf.example.org": "Johan Lindqvist",
    "sara.nystrom@kuf.example.org": "Sara Nyström",
}


def expected_refusals() -> dict[int, str]:
    fields = "The row has %(n)d fields; three are needed: e-mail, name, organisation."
    return {
        3: sv("Enter a valid e-mail address."),
        4: sv("Unknown organisation “%(org)s”.", org="Okänd förvaltning"),
        6: sv("The same e-mail address is on row %(line)d.", line=2),
        8: sv("A user with that e-mail address exists already."),
        9: sv(fields, n=2),
        10: sv(fields, n=4),
        11: sv("The name is missing."),
    }


@pytest.fixture()
def kuf():
    org = make_organisation(name="Kulturförvaltningen", code="KuF")
    make_user(organisation=org, email="befintlig@kuf.example.org", display_name="Finns Redan")
    return org


def _upload(client, content: bytes, dry_run: bool = False, filename: str = "users.csv"):
    data = {"file": (io.BytesIO(content), filename)}
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/admin/users/import", data=data, content_type="multipart/form-data")


def _refused_rows(response) -> dict[int, str]:
    page = response.get_data(as_text=True)
    return {
        int(line): html.unescape(reason)
        for line, reason in re.findall(
            r'<tr><th scope="row">(\d+)</th>.*?<td class="error-text">(.*?)</td></tr>', page
        )
    }


def _imported() -> dict[str, str]:
    db.session.rollback()
    users = db.session.scalars(select(User).where(User.email.in_(GOOD))).all()
    return {u.email: u.display_name for u in users}


def test_import_creates_the_good_rows_and_reports_the_others(client, kuf):
    admin = make_admin()
    login(client, admin)
    before = count(User)
    response = _upload(client, ("\ufeff" + MIXED).encode("utf-8"))  # with a UTF-8 BOM, as Excel
    assert response.status_code == 200
    assert shows(response, sv("%(num)d user created.", "%(num)d users created.", num=3))
    assert shows(response, sv("%(num)d row refused.", "%(num)d rows refused.", num=7))
    assert _refused_rows(response) == expected_refusals()

    assert count(User) == before + 3
    assert _imported() == GOOD
    for email in GOOD:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.organisation_id == kuf.id
        assert not user.has_password
    [event] = audit_events("user.import")
    assert event.actor_id == admin.id
    assert event.summary == "3 created, 7 refused"


def test_dry_run_checks_every_row_and_saves_nothing(client, kuf):
    login(client, make_admin())
    before = count(User)
    response = _upload(client, MIXED.encode("utf-8"), dry_run=True)
    assert response.status_code == 200
    assert shows(response, sv("Result of the check"))
    assert shows(
        response, sv("%(num)d user can be created.", "%(num)d users can be created.", num=3)
    )
    assert _refused_rows(response) == expected_refusals()
    assert count(User) == before
    assert audit_events() == []


def test_semicolons_and_windows_1252(client, kuf):
    """Excel in Swedish saves "CSV" with semicolons in Windows-1252."""
    login(client, make_admin())
    content = "\r\n".join(
        [
            "E-post;Namn;Organisation",
            "asa.oberg@kuf.example.org;Åsa Öberg;KuF",
            "bjorn.ang@kuf.example.org;Björn Äng;Kulturförvaltningen",
            "fel adress;Fel;KuF",
        ]
    ).encode("cp1252")
    response = _upload(client, content)
    assert response.status_code == 200
    assert shows(response, sv("%(num)d user created.", "%(num)d users created.", num=2))
    assert _refused_rows(response) == {4: sv("Enter a valid e-mail address.")}
    names = set(
        db.session.scalars(select(User.display_name).where(User.email.like("%@kuf.example.org")))
    )
    assert {"Åsa Öberg", "Björn Äng"} <= names


def test_organisation_named_with_swedish_capitals(client, kuf):
    """An organisation given by its exact name is found even when it starts with Å, Ä or Ö."""
    ostermalm = make_organisation(name="Östermalms stadsdelsförvaltning", code="ÖSF")
    login(client, make_admin())
    response = _upload(client, f"asa.ek@ostermalm.example.org,Åsa Ek,{ostermalm.name}\n".encode())
    assert response.status_code == 200
    assert _refused_rows(response) == {}
    user = db.session.scalar(select(User).where(User.email == "asa.ek@ostermalm.example.org"))
    assert user.organisation_id == ostermalm.id


def test_org_admin_cannot_import_into_another_organisation(client, kuf):
    make_organisation(name="Stadsarkivet", code="SSA")
    org_admin = make_org_admin(kuf)
    login(client, org_admin)
    before = count(User)
    content = "anna.berg@kuf.example.org,Anna Berg,KuF\nerik.sund@ssa.example.org,Erik Sund,SSA\n"
    response = _upload(client, content.encode())
    assert response.status_code == 200
    assert _refused_rows(response) == {2: sv("You may only add users to %(org)s.", org="KuF")}
    assert count(User) == before + 1
    assert db.session.scalar(select(User).where(User.email == "erik.sund@ssa.example.org")) is None


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (None, None, "Choose a file."),
        (b"", "users.csv", "The file is empty."),
        (b"  \n\n", "users.csv", "The file is empty."),
        (b"anna@kuf.example.org,Anna,KuF", "users.xlsx", "Choose a CSV file (.csv)."),
        (b"PK\x03\x04\x00\x00binary", "users.csv", "Choose a CSV file (.csv)."),
    ],
)
def test_unusable_file_is_refused(client, kuf, content, filename, message):
    login(client, make_admin())
    before = count(User)
    if content is None:
        response = client.post("/admin/users/import", data={}, content_type="multipart/form-data")
    else:
        response = _upload(client, content, filename=filename)
    assert response.status_code == 422
    assert field_error(response, sv(message))
    assert count(User) == before


def test_file_with_too_many_rows_is_refused(client, kuf):
    login(client, make_admin())
    before = count(User)
    content = "anna.berg@kuf.example.org,Anna Berg,KuF\n" + "rad utan fält\n" * 5000
    response = _upload(client, content.encode())
    assert response.status_code == 422
    assert field_error(response, sv("The file has more than %(n)d rows. Split it up.", n=5000))
    assert count(User) == before  # not even the good first row


# --- the command line ----------------------------------------------------------------------


def test_cli_import(app, kuf, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(("\ufeff" + MIXED).encode("utf-8"))
    before = count(User)

    result = app.test_cli_runner().invoke(args=["hubbar", "import-users", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 users would be created, 7 rows refused." in result.output
    assert count(User) == before

    result = app.test_cli_runner().invoke(args=["hubbar", "import-users", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 users created, 7 rows refused." in result.output
    for line, reason in expected_refusals().items():
        assert re.search(rf"row {line}: .*: {re.escape(reason)}", result.output), (line, reason)
    assert count(User) == before + 3
    assert _imported() == GOOD
    [event] = audit_events("user.import")
    assert event.actor_id is None  # the system


def test_cli_import_of_an_empty_file_fails(app, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["hubbar", "import-users", str(path)])
    assert result.exit_code != 0
    assert sv("The file is empty.") in result.output


def test_excel_unicode_text_is_read(client, kuf):
    """Excel's "Unicode text" export is UTF-16 with tabs: read, not refused."""
    admin = make_admin()
    login(client, admin)
    before = count(User)
    content = "e-post\tnamn\torganisation\nåsa.öberg@kuf.example.org\tÅsa Öberg\tKuF\n"
    response = _upload(client, content.encode("utf-16"))
    assert response.status_code == 200
    assert count(User) == before + 1
    user = db.session.scalar(select(User).where(User.email == "åsa.öberg@kuf.example.org"))
    assert user is not None and user.display_name == "Åsa Öberg"
