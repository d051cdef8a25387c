"""HUBBAR_ENV=production: no start without a real secret key; Secure cookies by default."""

from __future__ import annotations

import secrets

import pytest

from hubbar import create_app
from hubbar.config import SECRET_KEY_FILE

GOOD_KEY = secrets.token_urlsafe(48)


@pytest.fixture()
def environment(monkeypatch, tmp_path):
    """A clean environment with its own instance folder; returns monkeypatch to set more."""
    monkeypatch.setenv("HUBBAR_INSTANCE_PATH", str(tmp_path))
    for name in ("HUBBAR_ENV", "HUBBAR_SECRET_KEY", "HUBBAR_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def start(database_url):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url})


@pytest.mark.parametrize(
    "key, problem",
    [
        (None, "is not set"),
        ("", "is not set"),
        ("too-short-but-random-4f9a", "shorter than 32"),
        ("test-secret", "published"),
        ("dev", "published"),
        ("change-me", "published"),
        ("secret", "published"),
        ("  Secret ", "published"),
        ("please-change-me-to-something-long-and-random", "published"),
        ("a" * 40, "too few characters"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(
    environment, database_url, tmp_path, key, problem
):
    environment.setenv("HUBBAR_ENV", "production")
    if key is not None:
        environment.setenv("HUBBAR_SECRET_KEY", key)
    with pytest.raises(RuntimeError) as refused:
        start(database_url)
    message = str(refused.value)
    assert "HUBBAR_SECRET_KEY" in message and problem in message
    assert "HUBBAR_ENV=production" in message
    # No key was made up in the instance folder instead.
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_production_starts_with_a_random_key_and_secure_cookies(environment, database_url):
    environment.setenv("HUBBAR_ENV", "production")
    environment.setenv("HUBBAR_SECRET_KEY", GOOD_KEY)
    app = start(database_url)
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_cookies_can_still_be_made_insecure(environment, database_url):
    environment.setenv("HUBBAR_ENV", "Production")
    environment.setenv("HUBBAR_SECRET_KEY", GOOD_KEY)
    environment.setenv("HUBBAR_SECURE_COOKIES", "false")
    app = start(database_url)
    assert app.config["HUBBAR_ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


def test_development_is_the_default_and_makes_its_own_key(environment, database_url, tmp_path):
    app = start(database_url)
    assert app.config["HUBBAR_ENV"] == "development"
    assert app.config["SECRET_KEY"] == (tmp_path / SECRET_KEY_FILE).read_text().strip()
    assert app.config["SESSION_COOKIE_SECURE"] is False
    environment.setenv("HUBBAR_SECRET_KEY", "dev")  # allowed while developing
    assert start(database_url).config["SECRET_KEY"] == "dev"


def test_an_unknown_environment_is_refused(environment, database_url):
    environment.setenv("HUBBAR_ENV", "staging")
    environment.setenv("HUBBAR_SECRET_KEY", GOOD_KEY)
    with pytest.raises(RuntimeError, match="HUBBAR_ENV"):
        start(database_url)


def test_a_production_session_cookie_is_secure_and_http_only(environment, database_url):
    environment.setenv("HUBBAR_ENV", "production")
    environment.setenv("HUBBAR_SECRET_KEY", GOOD_KEY)
    app = start(database_url)
    client = app.test_client()
    assert client.get("/login", base_url="https://localhost").status_code == 200
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
