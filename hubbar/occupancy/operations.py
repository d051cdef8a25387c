"""Who may see which occupancy figures, over which period, and the raw bookings behind them.

One decision per request, used by the dashboard, the exports and the API alike:

- hub managers (and system admins) see their hubs, with names in the raw bookings;
- organisation admins see their own staff's use of any hub, aggregated, with pseudonyms;
- evaluators see their pilots' hubs, aggregated, with pseudonyms, and per-organisation cells
  of fewer than k people shown as "< k" (DESIGN.md, privacy).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from hubbar.accounts.models import Organisation, User
from hubbar.accounts.operations import list_organisations
from hubbar.bookings.models import Booking
from hubbar.errors import InvalidInput, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.hubs.models import Desk, Hub, hub_admissions
from hubbar.occupancy.metrics import Metric, Occupancy, compute
from hubbar.operations import check_calendar_date
from hubbar.pilots.models import Pilot

K = TypeVar("K")  # the key of a group (an organisation's id)

MAX_PERIOD_DAYS = 3 * 366  # a longer period is a typo, and an expensive one
MANAGER, ORGANISATION_ADMIN, EVALUATOR = "manager", "organisation_admin", "evaluator"


@dataclass(frozen=True)
class Access:
    """What one person may see of some hubs' occupancy."""

    audience: str  # MANAGER, ORGANISATION_ADMIN or EVALUATOR
    hubs: tuple[Hub, ...]
    organisation_ids: tuple[int, ...] | None  # only these home organisations' bookings count
    names: bool  # the raw bookings carry names, not pseudonyms
    k: int | None  # per-organisation cells of fewer people are suppressed

    @property
    def aggregated(self) -> bool:
        return not self.names


def may_see_occupancy(user: User) -> bool:
    """Hub managers, organisation admins, evaluators and system admins see occupancy."""
    return bool(
        user.is_system_admin
        or user.managed_hub_ids
        or user.admin_organisation_ids
        or evaluated_hub_ids(user)
    )


def filterable_organisations(user: User, seen: Access | None) -> list[Organisation]:
    """The home organisations ``user`` may narrow the figures to: an organisation admin's
    own, none for evaluators (they see all organisations together), else all."""
    if seen is not None and seen.k is not None:
        return []
    if seen is not None:
        only = seen.organisation_ids
    elif user.is_system_admin or user.managed_hub_ids:
        only = None
    elif user.admin_organisation_ids:
        only = tuple(user.admin_organisation_ids)
    else:
        return []
    organisations = list_organisations()
    if only is not None:
        organisations = [o for o in organisations if o.id in only]
    return organisations


def same_point_before(result: Occupancy) -> datetime | None:
    """For a period that reaches now, the same wall-clock moment one period length earlier, so
    this week so far is compared with last week up to the same weekday and time, not with all
    of it. None (count everything) for a period that is over."""
    if not result.partial:
        return None
    zone = ZoneInfo(result.hubs[0].timezone)
    length = timedelta(days=(result.last - result.first).days + 1)
    return (result.counted_until.astimezone(zone) - length).astimezone(UTC)


def visible_hubs(user: User) -> list[Hub]:
    """Every hub whose occupancy ``user`` may see in some form, by name."""
    hubs = db.session.scalars(select(Hub).order_by(Hub.name)).all()
    if user.is_system_admin or user.admin_organisation_ids:
        return list(hubs)
    allowed = user.managed_hub_ids | evaluated_hub_ids(user)
    return [h for h in hubs if h.id in allowed]


def evaluated_hub_ids(user: User) -> set[int]:
    """Hubs an evaluator evaluates: named hubs and the hubs of their pilots."""
    ids = set(user.evaluated_hub_ids)
    pilot_ids = user.evaluated_pilot_ids
    if pilot_ids:
        for pilot in db.session.scalars(select(Pilot).where(Pilot.id.in_(pilot_ids))):
            ids.update(h.id for h in pilot.hubs)
    return ids


def evaluated_pilots(user: User) -> list[Pilot]:
    """The pilots whose period the dashboard offers: an evaluator's, or all for admins and the
    managers of a pilot's hub."""
    pilots = db.session.scalars(select(Pilot).order_by(Pilot.start_date.desc())).all()
    if user.is_system_admin:
        return list(pilots)
    managed = user.managed_hub_ids
    return [
        p
        for p in pilots
        if p.id in user.evaluated_pilot_ids or any(h.id in managed for h in p.hubs)
    ]


def access(user: User, hubs: Sequence[Hub], k: int) -> Access:
    """Decide what ``user`` sees of ``hubs`` (all of them, or refuse)."""
    hubs = tuple(sorted(hubs, key=lambda h: h.name))
    if not hubs:
        raise InvalidInput(_("Choose at least one hub."), field="hub")
    if all(h.can_manage(user) for h in hubs):
        return Access(MANAGER, hubs, None, names=True, k=None)
    evaluated = evaluated_hub_ids(user)
    if all(h.id in evaluated for h in hubs):
        return Access(EVALUATOR, hubs, None, names=False, k=k)
    if user.admin_organisation_ids:
        return Access(
            ORGANISATION_ADMIN,
            hubs,
            tuple(sorted(user.admin_organisation_ids)),
            names=False,
            k=None,
        )
    raise NotAllowed(_("You do not have permission to see the occupancy of that hub."))


def check_period(first: date, last: date) -> None:
    check_calendar_date(first, "from")
    check_calendar_date(last, "to")
    if last < first:
        raise InvalidInput(_("The last day must not be before the first."), field="to")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(
            _("Choose a period of at most %(n)d days.", n=MAX_PERIOD_DAYS), field="to"
        )


def scoped(user: User, hubs: Sequence[Hub], k: int, organisation_id: int | None = None) -> Access:
    """What ``user`` may see of ``hubs``, narrowed to one home organisation when asked (an
    organisation admin only ever sees their own)."""
    seen = access(user, hubs, k)
    if organisation_id is None:
        return seen
    if db.session.get(Organisation, organisation_id) is None:
        raise NotFound(_("No such organisation."))
    if seen.k is not None:
        # One organisation's figures beside the totals would give away the rest by subtraction.
        raise NotAllowed(
            _(
                "Evaluators see all organisations together; the table per organisation shows "
                "each one."
            )
        )
    if seen.organisation_ids is not None and organisation_id not in seen.organisation_ids:
        raise NotAllowed(_("You can see only your own organisation's use of the hubs."))
    return replace(seen, organisation_ids=(organisation_id,))


def occupancy(
    user: User,
    hubs: Sequence[Hub],
    first: date,
    last: date,
    *,
    k: int,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Occupancy, Access]:
    """The metrics ``user`` may see of ``hubs`` over ``first``..``last``, optionally for one
    home organisation (organisation admins: only their own; evaluators: never, they see all
    organisations together). For evaluators the result comes with its small groups hidden
    (see :func:`protect`)."""
    check_period(first, last)
    seen = scoped(user, hubs, k, organisation_id)
    result = compute(seen.hubs, first, last, organisation_ids=seen.organisation_ids, now=now)
    protect(result, seen)
    return result, seen


def organisation_hubs(organisation_id: int) -> tuple[Organisation, list[Hub]]:
    """An organisation and the hubs open to its staff: those it hosts and those admitting it."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    admitting = select(hub_admissions.c.hub_id).where(
        hub_admissions.c.organisation_id == organisation.id
    )
    hubs = db.session.scalars(
        select(Hub)
        .where(or_(Hub.host_organisation_id == organisation.id, Hub.id.in_(admitting)))
        .order_by(Hub.name)
    ).all()
    if not hubs:
        raise NotFound(_("No hub is open to this organisation's staff."))
    return organisation, list(hubs)


def organisation_occupancy(
    user: User,
    organisation_id: int,
    first: date,
    last: date,
    *,
    k: int,
    now: datetime | None = None,
) -> tuple[Organisation, Occupancy, Access]:
    """How one organisation's staff used the hubs open to them over ``first``..``last``: only
    their bookings count, against those hubs' capacity. For the organisation's admins and
    system admins (asked first, so that others learn nothing of which organisations exist;
    then :func:`scoped` decides as for any selection)."""
    if not (user.is_system_admin or organisation_id in user.admin_organisation_ids):
        raise NotAllowed(_("You can see only your own organisation's use of the hubs."))
    organisation, hubs = organisation_hubs(organisation_id)
    result, seen = occupancy(user, hubs, first, last, k=k, organisation_id=organisation.id, now=now)
    return organisation, result, seen


def protect(result: Occupancy, seen: Access) -> None:
    """Hide what would single out fewer than k people from an evaluator: the rows of small
    organisations (and enough others that they cannot be worked out from the totals), and the
    cross-organisation share when the host's or the guests' people are fewer than k. With
    nobody on one side the share is simply 0 % or 100 % and singles out no one: it is shown."""
    result.hidden_organisations = hidden_organisations(result, seen)
    if seen.k is None:
        return
    host = sum(r.users for r in result.organisations if r.is_host)
    guests = sum(r.users for r in result.organisations if not r.is_host)
    if 0 < min(host, guests) < seen.k and result.value("cross_org_share") is not None:
        result.metrics["cross_org_share"] = Metric("cross_org_share", None)
        result.suppressed_metrics.add("cross_org_share")


def suppressed(count: int | None, seen: Access) -> bool:
    """True when a per-organisation cell with ``count`` people must be shown as "< k"."""
    return seen.k is not None and count is not None and count < seen.k


def hidden_organisations(result: Occupancy, seen: Access) -> set[int]:
    """The organisations whose rows an evaluator sees as "< k" (see :func:`hidden_groups`)."""
    if seen.k is None:
        return set()
    return hidden_groups(
        [(r.organisation_id, r.name, r.users) for r in result.organisations], seen.k
    )


def hidden_groups(groups: Iterable[tuple[K, str, int]], k: int) -> set[K]:
    """Of groups given as (key, name, people), those to show as "< k": the groups of fewer
    than k people, and then the next smallest (by people, then name) until the hidden ones
    hold at least k people together, or all are hidden. So no small group can be worked out
    by subtracting the groups shown from a total shown beside them."""
    ordered = sorted(groups, key=lambda g: (g[2], g[1]))
    hidden = {key for key, _name, people in ordered if people < k}
    if not hidden:
        return hidden
    together = sum(people for key, _name, people in ordered if key in hidden)
    for key, _name, people in ordered:
        if together >= k:
            break
        if key not in hidden:
            hidden.add(key)
            together += people
    return hidden


def previous_period(first: date, last: date) -> tuple[date, date]:
    """The period of equal length just before, for comparison."""
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


def pseudonym(person_id: int | None, secret: str) -> str:
    """A stable pseudonym for a person (a booking's ``person_id``): the same in every export,
    revealing nothing. An erased person keeps one pseudonym, unlinked from the old one."""
    if person_id is None:
        return ""
    digest = hmac.new(secret.encode(), f"user:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:12]}"  # 48 bits: no collision among a city's staff


RAW_COLUMNS = (
    "booking_id",
    "hub",
    "desk",
    "organisation",
    "user",
    "status",
    "start",
    "end",
    "created_at",
    "checked_in_at",
    "checked_out_at",
    "cancelled_at",
    "released_at",
)


def bookings_for(
    user: User,
    hubs: Sequence[Hub],
    first: date,
    last: date,
    *,
    k: int,
    secret: str,
    organisation_id: int | None = None,
    result: Occupancy | None = None,
) -> Iterator[list[str]]:
    """The raw bookings ``user`` may download: names or pseudonyms as their role allows, and
    for evaluators the organisations hidden in the figures labelled "< k" here too (with
    ``result``, the figures already computed for the same selection)."""
    seen = scoped(user, hubs, k, organisation_id)
    hidden: set[int] = set()
    if seen.k is not None:
        if result is None:
            result, _seen = occupancy(user, hubs, first, last, k=k)
        hidden = result.hidden_organisations
    return raw_bookings(seen, first, last, secret, hidden=hidden)


def raw_bookings(
    seen: Access, first: date, last: date, secret: str, hidden: set[int] = frozenset()
) -> Iterator[list[str]]:
    """The bookings starting in the period at the hubs, one row of RAW_COLUMNS each, times in
    ISO 8601 with the hub's offset. Streamed from the database in batches. The organisations
    in ``hidden`` are written as "< k"."""
    person = aliased(User)
    for hub in seen.hubs:
        zone = ZoneInfo(hub.timezone)
        start = datetime.combine(first, datetime.min.time(), zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
        query = (
            select(Booking, Desk.label, Organisation.code, person.display_name)
            .join(Desk, Desk.id == Booking.desk_id)
            .join(Organisation, Organisation.id == Booking.organisation_id)
            .outerjoin(person, person.id == Booking.user_id)
            .where(Booking.hub_id == hub.id, Booking.starts_at >= start, Booking.starts_at < end)
            .order_by(Booking.starts_at, Booking.id)
            .execution_options(yield_per=1000)
        )
        if seen.organisation_ids is not None:
            query = query.where(Booking.organisation_id.in_(seen.organisation_ids))

        def iso(moment: datetime | None, zone=zone) -> str:
            return moment.astimezone(zone).isoformat() if moment else ""

        for booking, desk, organisation, name in db.session.execute(query):
            # An erased person has no name left: a pseudonym, even for those who see names.
            who = name if seen.names and name else pseudonym(booking.person_id, secret)
            yield [
                str(booking.id),
                hub.name,
                desk,
                f"< {seen.k}" if booking.organisation_id in hidden else organisation,
                who,
                booking.status.value,
                iso(booking.starts_at),
                iso(booking.ends_at),
                iso(booking.created_at),
                iso(booking.checked_in_at),
                iso(booking.checked_out_at),
                iso(booking.cancelled_at),
                iso(booking.released_at),
            ]


PRESETS = ("this_week", "last_4_weeks", "this_month", "pilot", "custom")


def preset_period(preset: str, today: date, pilot: Pilot | None = None) -> tuple[date, date]:
    """The dates of a period picker choice: this week (Monday to Sunday), the last four whole
    weeks before this one, this month, or the pilot's period."""
    if preset == "this_week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if preset == "last_4_weeks":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=28), monday - timedelta(days=1)
    if preset == "this_month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    if preset == "pilot":
        if pilot is None:
            raise InvalidInput(_("Choose a pilot."), field="pilot")
        return pilot.start_date, pilot.end_date
    raise InvalidInput(_("Choose a period."), field="period")
