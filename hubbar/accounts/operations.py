"""What the accounts part does: organisations, users, roles, passwords, invitations, CSV import.

Plain functions taking plain arguments; each checks the actor's right to act, raises a domain
error with a readable message, writes the audit log and commits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from hubbar.accounts import throttle
from hubbar.accounts.models import (
    LOCALES,
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
    User,
)
from hubbar.audit.operations import apply_changes, record
from hubbar.bookings.feeds import renew_hub_feeds_after_manager_left
from hubbar.db import utcnow
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.operations import commit_or_refuse, require

MIN_PASSWORD_LENGTH = 12
MAX_IMPORT_ROWS = 5000


# --- helpers -------------------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """A lower-cased, syntactically valid e-mail address, or InvalidInput."""
    try:
        checked = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from exc
    return checked.normalized.lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["HUBBAR_PASSWORD_HASH"])


def check_password_rules(password: str, email: str) -> None:
    """Refuse a password shorter than 12 characters, the e-mail address or its local part, or
    one that is common or built from common words and patterns (zxcvbn: its dictionaries of
    common passwords, words and names, plus a few Swedish ones and the user's own address)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    typed = password.strip().lower()
    address = (email or "").strip().lower()
    local_part = address.rpartition("@")[0]
    if typed == address:
        raise InvalidInput(_("The password must not be your e-mail address."), field="password")
    if local_part and typed == local_part:
        raise InvalidInput(
            _("The password must not be the part of your e-mail address before the @."),
            field="password",
        )
    if _easy_to_guess(password, address):
        raise InvalidInput(
            _(
                "The password is too common or too easy to guess. Choose a longer one, for "
                "example a few words that do not belong together."
            ),
            field="password",
        )


# Words that zxcvbn's English dictionaries miss but Swedish passwords are often made of.
SWEDISH_PASSWORD_WORDS = (
    "hubbar",
    "lösenord",
    "losenord",
    "hemligt",
    "hemlig",
    "välkommen",
    "valkommen",
    "sommar",
    "vinter",
    "hösten",
    "våren",
    "stockholm",
    "sverige",
    "kungsklippan",
    "stadsarkivet",
    "kulturförvaltningen",
)
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters tell enough
_zxcvbn_lock = threading.Lock()


def _easy_to_guess(password: str, address: str) -> bool:
    """zxcvbn's score below 3 ("safely unguessable" starts at 3: about 10^8 guesses)."""
    local_part = address.rpartition("@")[0]
    pieces = re.split(r"[._+\-]+", local_part)
    user_inputs = [address, local_part, "".join(pieces), *pieces, *SWEDISH_PASSWORD_WORDS]
    # zxcvbn keeps the user's words in a module-level dictionary: one check at a time.
    with _zxcvbn_lock:
        result = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=[w for w in user_inputs if w])
    return result["score"] < 3


# --- login ---------------------------------------------------------------------------------


def authenticate(
    email: str, password: str, address: str | None = None, now: datetime | None = None
) -> User:
    """The active user with this e-mail and password. One message for every wrong answer, and
    as long to come, so the answer does not tell whether an account exists.

    Throttled (hubbar.accounts.throttle): while the account or the client ``address`` has had
    too many failed attempts, TooManyAttempts (429) is raised before the password is looked
    at, so even the right one is refused. Every attempt checked is recorded, without the
    e-mail address in clear. ``address`` None (unknown) limits per account only."""
    now = now or utcnow()
    address_typed = throttle.normalise_login(email)
    key = throttle.account_key(address_typed)
    throttle.check_login_allowed(key, address, now)
    attempt = throttle.begin_login_attempt(key, address, now)
    user = (
        db.session.scalar(select(User).where(User.email == address_typed))
        if address_typed
        else None
    )
    if user is None or not user.active or not user.password_hash:
        # Check against a stand-in hash, so that a missing account takes as long as a wrong
        # password.
        check_password_hash(_stand_in_hash(), password or "")
        raise NotAllowed(_("Wrong e-mail address or password."))
    if not check_password_hash(user.password_hash, password or ""):
        raise NotAllowed(_("Wrong e-mail address or password."))
    throttle.login_succeeded(attempt)
    user.last_login_at = now
    db.session.commit()
    return user


_stand_in_hashes: dict[str, str] = {}


def _stand_in_hash() -> str:
    """A hash of a random password made with the configured method (once per method), to
    check a password against when there is no account."""
    method = current_app.config["HUBBAR_PASSWORD_HASH"]
    if method not in _stand_in_hashes:
        _stand_in_hashes[method] = generate_password_hash(secrets.token_urlsafe(24), method)
    return _stand_in_hashes[method]


def load_user(session_id: str) -> User | None:
    """The user of a session id from ``User.get_id``, unless the password changed since."""
    user_id, _sep, fingerprint = (session_id or "").partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None
    if user is None or (user.password_hash or "")[-8:] != fingerprint:
        return None
    return user


# --- organisations -------------------------------------------------------------------------


def list_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def get_organisation(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def _check_organisation_unique(name: str, code: str, exclude_id: int | None = None) -> None:
    for column, value, message, field_name in (
        (Organisation.name, name, _("An organisation with that name exists already."), "name"),
        (Organisation.code, code, _("An organisation with that code exists already."), "code"),
    ):
        # lower() on both sides: SQLite's lower() leaves Å, Ä, Ö as they are, so a Python-lowered
        # value would miss an exact duplicate such as "Östermalm" that the database then refuses.
        query = select(Organisation.id).where(func.lower(column) == func.lower(value))
        if exclude_id is not None:
            query = query.where(Organisation.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise InvalidInput(message, field=field_name)


def _clean_organisation(name: str, code: str) -> tuple[str, str]:
    name, code = (name or "").strip(), (code or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name."), field="name")
    if not 2 <= len(code) <= 12:
        raise InvalidInput(_("The short code must have 2 to 12 characters."), field="code")
    return name, code


def create_organisation(
    actor: User | None, name: str, code: str, kind: OrganisationKind
) -> Organisation:
    """Create an organisation; ``actor`` None means the system itself (CLI)."""
    if actor is not None:
        require(actor.is_system_admin)
    name, code = _clean_organisation(name, code)
    _check_organisation_unique(name, code)
    org = Organisation(name=name, code=code, kind=kind)
    with commit_or_refuse(_("An organisation with that name or code exists already.")):
        db.session.add(org)
        record(actor, "organisation.create", org, f"{name} ({code})")
    return org


def update_organisation(
    actor: User, org: Organisation, name: str, code: str, kind: OrganisationKind
) -> Organisation:
    require(actor.is_system_admin)
    name, code = _clean_organisation(name, code)
    _check_organisation_unique(name, code, exclude_id=org.id)
    with commit_or_refuse(_("An organisation with that name or code exists already.")):
        changes = apply_changes(org, {"name": name, "code": code, "kind": kind})
        if changes:
            record(actor, "organisation.update", org, f"{name} ({code})", changes)
    return org


def find_organisation(key: str) -> Organisation | None:
    """An organisation by short code or name, ignoring case."""
    key = (key or "").strip()
    if not key:
        return None
    key = func.lower(key)  # lowered by the database, like the columns (see above)
    return db.session.scalar(
        select(Organisation).where(
            (func.lower(Organisation.code) == key) | (func.lower(Organisation.name) == key)
        )
    )


# --- users ---------------------------------------------------------------------------------


def visible_users(actor: User, organisation_id: int | None = None, q: str = "") -> list[User]:
    """The users the actor may manage: all for system admins, their organisations' for
    organisation admins."""
    require(actor.can_manage_any_users)
    query = select(User).order_by(User.display_name)
    if not actor.is_system_admin:
        query = query.where(User.organisation_id.in_(actor.admin_organisation_ids))
    if organisation_id:
        query = query.where(User.organisation_id == organisation_id)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(func.lower(User.display_name).like(pattern) | User.email.like(pattern))
    return list(db.session.scalars(query))


def get_user_for(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    require(actor.can_edit_user(user))
    return user


def _clean_user(display_name: str, locale: str) -> tuple[str, str]:
    display_name = (display_name or "").strip()
    if not display_name:
        raise InvalidInput(_("Enter a name."), field="display_name")
    if len(display_name) > 120:
        raise InvalidInput(_("The name may have at most 120 characters."), field="display_name")
    if locale not in LOCALES:
        raise InvalidInput(_("Choose Swedish or English."), field="locale")
    return display_name, locale


def _check_may_place_in(actor: User, organisation: Organisation) -> None:
    if not organisation.can_manage_users(actor):
        raise NotAllowed(
            _("You may only add users to %(org)s.", org=_admin_org_names(actor)),
        )


def _admin_org_names(actor: User) -> str:
    orgs = [r.organisation.code for r in actor.roles if r.role is Role.ORG_ADMIN]
    return ", ".join(sorted(orgs)) or "-"


def create_user(
    actor: User | None,
    email: str,
    display_name: str,
    organisation: Organisation,
    locale: str = "sv",
    password: str | None = None,
) -> User:
    """Create a user; without a password the user is invited and sets one through a link.

    ``actor`` None means the system itself (CLI, demo), which may always act.
    """
    if actor is not None:
        _check_may_place_in(actor, organisation)
    address = normalise_email(email)
    display_name, locale = _clean_user(display_name, locale)
    if db.session.scalar(select(User.id).where(User.email == address)) is not None:
        raise InvalidInput(_("A user with that e-mail address exists already."), field="email")
    user = User(email=address, display_name=display_name, organisation=organisation, locale=locale)
    if password:
        check_password_rules(password, address)
        user.password_hash = hash_password(password)
    with commit_or_refuse(_("A user with that e-mail address exists already."), "email"):
        db.session.add(user)
        # The log outlives an erased account: it names a user by the object id, never by
        # name or e-mail (the viewer shows the current name while the account exists).
        record(actor, "user.create", user, organisation.code)
    return user


def update_user(
    actor: User,
    user: User,
    display_name: str,
    organisation: Organisation,
    locale: str,
    active: bool,
) -> User:
    require(actor.can_edit_user(user))
    _check_may_place_in(actor, organisation)
    if user.id == actor.id and not active:
        raise InvalidInput(_("You cannot deactivate your own account."), field="active")
    display_name, locale = _clean_user(display_name, locale)
    changes = apply_changes(
        user,
        {
            "display_name": display_name,
            "organisation_id": organisation.id,
            "locale": locale,
            "active": active,
        },
    )
    if changes:
        if "display_name" in changes:
            changes["display_name"] = ["…", "…"]  # that it changed, not the names
        record(actor, "user.update", user, "", changes)
    if "active" in changes and not active:
        # A hub feed shows names: the address the person may have kept stops working.
        renew_hub_feeds_after_manager_left(user, actor=actor)
    db.session.commit()
    return user


def update_profile(user: User, display_name: str, locale: str) -> User:
    """A user's own changes to their name and language."""
    display_name, locale = _clean_user(display_name, locale)
    user.display_name = display_name
    user.locale = locale
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        raise InvalidInput(_("The current password is wrong."), field="current_password")
    check_password_rules(new, user.email)
    user.password_hash = hash_password(new)
    db.session.commit()


# --- invitations ---------------------------------------------------------------------------


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hubbar-invite")


def invite_token(actor: User | None, user: User) -> str:
    """A link token with which the user sets a password. It stops working once used, because
    it is bound to the password the account had when it was made. An administrator's link is
    also e-mailed to the user (queued with the audit record); the system's (``actor`` None) is
    only returned."""
    fingerprint = (user.password_hash or "")[-12:]
    token = _invite_serializer().dumps({"u": user.id, "p": fingerprint})
    if actor is not None:
        from hubbar.mail import messages

        require(actor.can_edit_user(user))
        action = "user.password_link" if user.has_password else "user.invite"
        record(actor, action, user)
        messages.invitation(user, messages.link("accounts.accept_invitation", token=token), actor)
        db.session.commit()
    return token


def user_for_invite(token: str) -> User:
    max_age = current_app.config["HUBBAR_INVITE_MAX_AGE_DAYS"] * 86400
    invalid = InvalidInput(_("The link is not valid any more. Ask for a new invitation."))
    try:
        data = _invite_serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature) as exc:
        raise invalid from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or (user.password_hash or "")[-12:] != data.get("p"):
        raise invalid
    return user


def accept_invite(token: str, password: str) -> User:
    user = user_for_invite(token)
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    db.session.commit()
    return user


# --- password reset ------------------------------------------------------------------------

PASSWORD_RESET_MAX_AGE = timedelta(hours=1)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hubbar-password-reset")


def _password_fingerprint(user: User) -> str:
    """A digest of the current password hash: a reset link carries it, so the link dies when
    the password changes (it is used, or changed some other way). A digest, so the signed but
    readable link gives away nothing of the hash."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def request_password_reset(
    email: str, address: str | None = None, now: datetime | None = None
) -> None:
    """E-mail a password-reset link to the active account with this address, if there is one.
    It returns the same whatever the address, so the answer tells nobody whether an account
    exists. Throttled silently: beyond a few requests an hour for one address, or many from
    one client ``address``, nothing is sent (hubbar.accounts.throttle)."""
    from hubbar.mail import messages

    typed = throttle.normalise_login(email)
    if not typed or not throttle.reset_request_allowed(typed, address, now or utcnow()):
        return
    user = db.session.scalar(select(User).where(User.email == typed))
    if user is None or not user.active:
        return
    token = _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})
    if messages.password_reset(user, token) is not None:
        record(None, "user.password_reset_request", user)
    db.session.commit()


def user_for_password_reset(token: str) -> User:
    """The user a reset link is for, while the link is unused and less than an hour old."""
    invalid = InvalidInput(_("The link is not valid any more. Ask for a new one."))
    try:
        data = _reset_serializer().loads(token, max_age=int(PASSWORD_RESET_MAX_AGE.total_seconds()))
    except (SignatureExpired, BadSignature) as exc:
        raise invalid from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or _password_fingerprint(user) != data.get("p"):
        raise invalid
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset link; the link stops working."""
    user = user_for_password_reset(token)
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    record(None, "user.password_reset", user)
    db.session.commit()
    return user


# --- roles ---------------------------------------------------------------------------------


def assign_role(
    actor: User | None,
    user: User,
    role: Role,
    *,
    hub=None,
    pilot=None,
    organisation: Organisation | None = None,
) -> RoleAssignment:
    """Give a user a role in its scope. Only system admins grant roles (or the system)."""
    if actor is not None:
        require(actor.is_system_admin)
    scope = {"hub": hub, "pilot": pilot, "organisation": organisation}
    needed = {
        Role.SYSTEM_ADMIN: set(),
        Role.HUB_MANAGER: {"hub"},
        Role.ORG_ADMIN: {"organisation"},
    }
    given = {k for k, v in scope.items() if v is not None}
    if role is Role.EVALUATOR:
        ok = given in ({"hub"}, {"pilot"})
        message = _("An evaluator is given either a pilot or a hub.")
    else:
        ok = given == needed[role]
        message = {
            Role.SYSTEM_ADMIN: _("A system administrator has no hub, pilot or organisation."),
            Role.HUB_MANAGER: _("Choose the hub the manager is responsible for."),
            Role.ORG_ADMIN: _("Choose the organisation the administrator is responsible for."),
        }[role]
    if not ok:
        raise InvalidInput(message, field="role")
    duplicate = next(
        (
            r
            for r in user.roles
            if r.role is role
            and r.hub_id == (hub.id if hub else None)
            and r.pilot_id == (pilot.id if pilot else None)
            and r.organisation_id == (organisation.id if organisation else None)
        ),
        None,
    )
    if duplicate is not None:
        raise InvalidInput(_("The user has that role already."), field="role")
    assignment = RoleAssignment(role=role, hub=hub, pilot=pilot, organisation=organisation)
    with commit_or_refuse(_("The user has that role already."), "role"):
        user.roles.append(assignment)
        summary = f"{role.value} {assignment.scope_label}".strip()
        record(actor, "role.assign", user, summary)
    return assignment


def remove_role(actor: User, user: User, assignment_id: int) -> None:
    require(actor.is_system_admin)
    assignment = next((r for r in user.roles if r.id == assignment_id), None)
    if assignment is None:
        raise NotFound(_("No such role."))
    if user.id == actor.id and assignment.role is Role.SYSTEM_ADMIN:
        raise InvalidInput(_("You cannot remove your own administrator role."))
    label = f"{assignment.role.value} {assignment.scope_label}".strip()
    # A hub feed shows names: the address the person may have kept stops working (computed
    # before the removal, while the role still says which hubs they saw).
    if assignment.role is Role.HUB_MANAGER:
        renew_hub_feeds_after_manager_left(user, [assignment.hub_id], actor=actor)
    elif assignment.role is Role.SYSTEM_ADMIN:
        renew_hub_feeds_after_manager_left(user, actor=actor)
    user.roles.remove(assignment)
    record(actor, "role.remove", user, label)
    db.session.commit()


# --- CSV import ----------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    organisation: str
    created: bool = False
    reason: str = ""


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    dry_run: bool = False

    @property
    def accepted(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.reason]

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.reason]


HEADER_WORDS = {"email", "e-mail", "e-mail address", "e-post", "epost", "e-postadress", "mail"}


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" is UTF-16 with a byte-order mark.
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel in Swedish saves "CSV" as Windows-1252 unless told otherwise.
        return data.decode("cp1252", errors="replace")


def import_users(actor: User | None, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Create users from CSV lines ``email,name,organisation`` (comma, semicolon or tab).

    Each row is judged on its own: good rows are created (invited, no password), bad rows are
    refused with the reason. ``dry_run`` checks every row and saves nothing.
    """
    if actor is not None:
        require(actor.can_manage_any_users)
    text = _decode(data)
    if not text.strip():
        raise InvalidInput(_("The file is empty."), field="file")
    if "\x00" in text:
        # Not a text file (or UTF-16, Excel's "Unicode text"); no database stores a NUL in a name.
        raise InvalidInput(_("Choose a CSV file (.csv)."), field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    report = ImportReport(dry_run=dry_run)
    seen: dict[str, int] = {}
    existing = set(db.session.scalars(select(User.email)))
    for index, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if index == 1 and cells[0].lower() in HEADER_WORDS:
            continue
        if len(report.rows) >= MAX_IMPORT_ROWS:
            raise InvalidInput(
                _("The file has more than %(n)d rows. Split it up.", n=MAX_IMPORT_ROWS),
                field="file",
            )
        padded = (cells + ["", "", ""])[:3]
        row = ImportRow(index, *padded)
        report.rows.append(row)
        row.reason = _refusal(actor, row, cells, seen, existing)
        if row.reason:
            continue
        seen[row.email] = index
        if not dry_run:
            user = User(
                email=row.email,
                display_name=row.name,
                organisation=find_organisation(row.organisation),
                locale="sv",
            )
            db.session.add(user)
            row.created = True
    if not dry_run and report.accepted:
        with commit_or_refuse(_("Someone added one of these users at the same time. Try again.")):
            # Audit summaries are stored language-neutral, not in the admin's UI language.
            summary = f"{len(report.accepted)} created, {len(report.refused)} refused"
            record(actor, "user.import", None, summary)
    return report


def _refusal(actor, row: ImportRow, cells, seen: dict[str, int], existing: set[str]) -> str:
    """Why a CSV row cannot be imported, or an empty string."""
    if len(cells) != 3:
        return _(
            "The row has %(n)d fields; three are needed: e-mail, name, organisation.",
            n=len(cells),
        )
    try:
        row.email = normalise_email(row.email)
    except InvalidInput as exc:
        return str(exc.message)
    if row.email in existing:
        return _("A user with that e-mail address exists already.")
    if row.email in seen:
        return _("The same e-mail address is on row %(line)d.", line=seen[row.email])
    if not row.name:
        return _("The name is missing.")
    if len(row.name) > 120:
        return _("The name may have at most 120 characters.")
    organisation = find_organisation(row.organisation)
    if organisation is None:
        return _("Unknown organisation “%(org)s”.", org=row.organisation)
    if actor is not None and not organisation.can_manage_users(actor):
        return _("You may only add users to %(org)s.", org=_admin_org_names(actor))
    return ""
