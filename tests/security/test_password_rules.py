"""Password rules: at least 12 characters, not the e-mail address nor its local part, not a
common password nor one easily guessed from common words and patterns."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from werkzeug.security import check_password_hash

from hubbar.accounts import operations as ops
from hubbar.errors import InvalidInput
from tests.factories import PASSWORD, login, make_user
from tests.helpers import field_error, reload, sv

EMAIL = "anna.berg@kuf.example.org"
SHORT = "The password must have at least %(n)d characters."
IS_EMAIL = "The password must not be your e-mail address."
IS_LOCAL_PART = "The password must not be the part of your e-mail address before the @."
COMMON = (
    "The password is too common or too easy to guess. Choose a longer one, for example a few "
    "words that do not belong together."
)


def refusal(password: str, email: str = EMAIL) -> str | None:
    """The English message refusing ``password``, or None when it is accepted."""
    with force_locale("en"):
        try:
            ops.check_password_rules(password, email)
        except InvalidInput as error:
            assert error.field == "password"
            return str(error.message)
    return None


@pytest.mark.parametrize(
    "password, message",
    [
        ("", SHORT % {"n": 12}),
        ("kort lösen", SHORT % {"n": 12}),
        ("elva tecken", SHORT % {"n": 12}),
        (EMAIL, IS_EMAIL),
        (" Anna.Berg@KUF.example.org ", IS_EMAIL),
        ("password1234", COMMON),
        ("qwertyuiopasdf", COMMON),
        ("123456789012", COMMON),
        ("iloveyou1234", COMMON),
        ("aaaaaaaaaaaaaaaa", COMMON),
        ("trustno1trustno1", COMMON),
        ("Lösenord1234", COMMON),
        ("Välkommen123", COMMON),
        ("hubbarhubbar", COMMON),
        ("anna.berg2024", COMMON),
        ("annaberg1234", COMMON),
        ("x" * 200, COMMON),
        ("correct horse battery", None),
        ("ett helt nytt lösenord", None),
        ("a brand new passphrase", None),
        ("Sju sjösjuka sjömän!", None),
        ("kaffe-regn-cykel-47", None),
    ],
)
def test_the_rules(app, password, message):
    assert refusal(password) == message


def test_the_local_part_of_a_long_address(app):
    email = "anna.katarina.berg-lindqvist@kuf.example.org"
    assert refusal("anna.katarina.berg-lindqvist", email) == IS_LOCAL_PART
    assert refusal("Anna.Katarina.Berg-Lindqvist ", email) == IS_LOCAL_PART


def test_a_weak_new_password_is_refused_on_the_profile_page(client):
    user = make_user(email=EMAIL)
    login(client, user)
    before = user.password_hash
    response = client.post(
        "/profile",
        data={
            "password-current_password": PASSWORD,
            "password-password": "password1234",
            "password-confirm": "password1234",
        },
    )
    assert response.status_code == 200
    assert field_error(response, sv(COMMON))
    assert reload(user).password_hash == before
    assert check_password_hash(reload(user).password_hash, PASSWORD)


def test_the_local_part_is_refused_when_setting_a_password(app):
    user = make_user(email="kulturforvaltare.ekholm@kuf.example.org")
    with pytest.raises(InvalidInput):
        ops.change_password(user, PASSWORD, "kulturforvaltare.ekholm")
    assert check_password_hash(reload(user).password_hash, PASSWORD)
