"""A real SMTP server for the e-mail tests: ``smtp_server``.

Use it in any test that sends e-mail and looks at what arrived::

    def test_booking_confirmation(smtp_server, ...):
        ...                                  # queue a message and commit
        send_due()                           # hubbar.mail.operations: the worker, once
        [message] = smtp_server.messages     # email.message.EmailMessage, policy=default
        assert message["To"] == "anna@example.org"

The fixture starts an aiosmtpd server on 127.0.0.1 at a free port and points the app's
``HUBBAR_MAIL_*`` settings at it (no TLS, no login) for the test; the settings are restored
afterwards. Delivery is synchronous, so the messages are there as soon as ``send_due`` returns.

- ``smtp_server.messages``: the accepted messages, parsed, in the order received.
- ``smtp_server.envelopes``: aiosmtpd's envelopes (``mail_from``, ``rcpt_tos``, raw content).
- ``smtp_server.refuse(code=451)``: answer every DATA with a failure (4xx: try later) until
  ``smtp_server.accept()``; ``smtp_server.refuse(550, at="RCPT")`` refuses the recipient
  instead, ``at="MAIL"`` the sender.
- ``smtp_server.address``: ``"127.0.0.1:PORT"``, as the worker's log names the server.

To use it outside ``tests/mail/``, import the fixture in that folder's conftest:
``from tests.mail.conftest import smtp_server  # noqa: F401``. ``SmtpServer(login=(user,
password))`` gives a server that requires that login (see the tests of wrong credentials),
``SmtpServer(delay=0.02)`` one that takes its time over each message (for workers racing each
other), ``SmtpServer(tls=context)`` one that speaks TLS from the first byte (port 465 style).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port

MAIL_SETTINGS = (
    "HUBBAR_MAIL_SERVER",
    "HUBBAR_MAIL_PORT",
    "HUBBAR_MAIL_USE_TLS",
    "HUBBAR_MAIL_USE_SSL",
    "HUBBAR_MAIL_GIVE_UP_HOURS",
    "HUBBAR_MAIL_USERNAME",
    "HUBBAR_MAIL_PASSWORD",
    "HUBBAR_MAIL_TIMEOUT",
)


class _Handler:
    def __init__(self, delay: float = 0):
        self.envelopes = []
        self.refusal: str | None = None
        self.refuse_at = "DATA"
        self.delay = delay

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.refusal and self.refuse_at == "MAIL":
            return self.refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.refusal and self.refuse_at == "RCPT":
            return self.refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusal and self.refuse_at == "DATA":
            return self.refusal
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server in a background thread; with ``login``, it requires that login."""

    def __init__(
        self,
        login: tuple[str, str] | None = None,
        *,
        delay: float = 0,
        tls: ssl.SSLContext | None = None,
    ):
        self.handler = _Handler(delay)
        self.port = free_port()
        self.login = login
        options = {}
        if login:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        if tls is not None:
            options["ssl_context"] = tls
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def envelopes(self) -> list:
        return list(self.handler.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in self.handler.envelopes
        ]

    def refuse(self, code: int = 451, at: str = "DATA") -> None:
        """Answer DATA (or RCPT, or MAIL) with ``code`` (a temporary failure by default) until
        ``accept()``."""
        status = "4.3.0 try later" if code < 500 else "5.7.1 refused"
        self.handler.refusal = f"{code} {status}"
        self.handler.refuse_at = at

    def accept(self) -> None:
        self.handler.refusal = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self.login
        )
        return AuthResult(success=ok, handled=False)

    def configure(self, config, *, username: str = "", password: str = "") -> None:
        config.update(
            HUBBAR_MAIL_SERVER="127.0.0.1",
            HUBBAR_MAIL_PORT=self.port,
            HUBBAR_MAIL_USE_TLS=False,
            HUBBAR_MAIL_USERNAME=username,
            HUBBAR_MAIL_PASSWORD=password,
            HUBBAR_MAIL_TIMEOUT=5,
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture()
def mail_settings(app):
    """Restores the app's HUBBAR_MAIL_* settings after the test, whatever it changed."""
    saved = {name: app.config[name] for name in MAIL_SETTINGS if name in app.config}
    yield app.config
    for name in MAIL_SETTINGS:
        app.config.pop(name, None)
    app.config.update(saved)


@pytest.fixture()
def smtp_server(app, mail_settings):
    """A running SMTP server the app sends to for this test (see the module docstring)."""
    with SmtpServer() as server:
        server.configure(app.config)
        yield server
