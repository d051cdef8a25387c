"""What the hubs part does: hubs, desks, opening hours, closures, out-of-service periods.

Hub managers run their own hubs' desks, hours, closures and the "what is included" text;
system admins also create hubs and set host, admissions, booking policy and costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from hubbar.accounts.models import Organisation, User
from hubbar.audit.operations import apply_changes, record
from hubbar.db import utcnow
from hubbar.errors import InvalidInput, NotFound
from hubbar.extensions import db
from hubbar.formats import fmt_datetime
from hubbar.hubs.calendar import exists_on_wall_clock
from hubbar.hubs.models import (
    Closure,
    Desk,
    DeskEquipment,
    Equipment,
    Hub,
    OpeningHours,
    OutOfService,
    hub_admissions,
)
from hubbar.operations import check_calendar_date, commit_or_refuse, require

SLOT_CHOICES = (15, 30, 60)


# --- reading -------------------------------------------------------------------------------


def get_hub(hub_id: int) -> Hub:
    hub = db.session.get(Hub, hub_id)
    if hub is None:
        raise NotFound(_("No such hub."))
    return hub


def get_desk(hub: Hub, desk_id: int) -> Desk:
    desk = db.session.get(Desk, desk_id)
    if desk is None or desk.hub_id != hub.id:
        raise NotFound(_("No such desk."))
    return desk


def bookable_hubs(user: User, *options) -> list[Hub]:
    """Active hubs the user's organisation may book, by name (``options``: what to load with
    them, e.g. ``selectinload(Hub.desks)``)."""
    admitting = select(hub_admissions.c.hub_id).where(
        hub_admissions.c.organisation_id == user.organisation_id
    )
    query = (
        select(Hub)
        .where(
            Hub.active,
            or_(Hub.host_organisation_id == user.organisation_id, Hub.id.in_(admitting)),
        )
        .order_by(Hub.name)
        .options(*options)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class DeskSummary:
    """A desk as lists show it, read without building ORM objects (a city's hub list has
    thousands of desks)."""

    id: int
    label: str
    zone: str
    active: bool
    equipment: tuple[Equipment, ...]


def desk_summaries(hub_ids: list[int]) -> dict[int, list[DeskSummary]]:
    """The desks of each hub in ``hub_ids`` by label, with their equipment in the usual order."""
    if not hub_ids:
        return {}
    order = {tag: n for n, tag in enumerate(Equipment)}
    tags: dict[int, list[Equipment]] = {}
    for desk_id, tag in db.session.execute(
        select(DeskEquipment.desk_id, DeskEquipment.tag)
        .join(Desk, Desk.id == DeskEquipment.desk_id)
        .where(Desk.hub_id.in_(hub_ids))
    ):
        tags.setdefault(desk_id, []).append(tag)
    result: dict[int, list[DeskSummary]] = {hub_id: [] for hub_id in hub_ids}
    for hub_id, desk_id, label, zone, active in db.session.execute(
        select(Desk.hub_id, Desk.id, Desk.label, Desk.zone, Desk.active)
        .where(Desk.hub_id.in_(hub_ids))
        .order_by(Desk.hub_id, Desk.label)
    ):
        equipment = tuple(sorted(tags.get(desk_id, ()), key=order.__getitem__))
        result[hub_id].append(DeskSummary(desk_id, label, zone, active, equipment))
    return result


def managed_hubs(user: User) -> list[Hub]:
    query = select(Hub).order_by(Hub.name)
    if not user.is_system_admin:
        query = query.where(Hub.id.in_(user.managed_hub_ids or {-1}))
    return list(db.session.scalars(query))


def equipment_summary(hub: Hub) -> list[tuple[Equipment, int]]:
    """How many active desks have each piece of equipment."""
    counts = dict.fromkeys(Equipment, 0)
    for desk in hub.active_desks:
        for tag in desk.equipment:
            counts[tag] += 1
    return [(tag, n) for tag, n in counts.items() if n]


# --- hubs ----------------------------------------------------------------------------------


@dataclass
class HubSettings:
    """Everything a system admin sets on a hub."""

    name: str
    host_organisation: Organisation
    address: str
    timezone: str = "Europe/Stockholm"
    admitted_organisations: list[Organisation] | None = None
    slot_minutes: int = 30
    min_duration_minutes: int = 30
    max_duration_minutes: int = 600
    max_days_ahead: int = 30
    max_active_bookings: int = 10
    checkin_required: bool = True
    checkin_grace_minutes: int = 30
    close_early_before_holidays: bool = False
    cost_per_desk_month: Decimal = Decimal("0")
    fixed_cost_per_month: Decimal = Decimal("0")
    active: bool = True


@dataclass
class HubInformation:
    """What a hub manager writes about the hub for employees."""

    description: str = ""
    desk_includes: str = ""
    service_level: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def _check_settings(settings: HubSettings, exclude_id: int | None = None) -> None:
    settings.name = (settings.name or "").strip()
    settings.address = (settings.address or "").strip()
    if not settings.name:
        raise InvalidInput(_("Enter a name."), field="name")
    if not settings.address:
        raise InvalidInput(_("Enter the address."), field="address")
    # lower() on both sides, as SQLite's lower() leaves Å, Ä, Ö as they are.
    query = select(Hub.id).where(func.lower(Hub.name) == func.lower(settings.name))
    if exclude_id is not None:
        query = query.where(Hub.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise InvalidInput(_("A hub with that name exists already."), field="name")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_("Unknown time zone."), field="timezone") from exc
    if settings.timezone not in available_timezones():
        raise InvalidInput(_("Unknown time zone."), field="timezone")
    if settings.slot_minutes not in SLOT_CHOICES:
        raise InvalidInput(_("Choose 15, 30 or 60 minutes."), field="slot_minutes")
    if settings.min_duration_minutes < settings.slot_minutes or (
        settings.min_duration_minutes % settings.slot_minutes
    ):
        raise InvalidInput(
            _("The shortest booking must be a whole number of time slots."),
            field="min_duration_minutes",
        )
    if not (settings.min_duration_minutes <= settings.max_duration_minutes <= 1440):
        raise InvalidInput(
            _("The longest booking must be between the shortest booking and 24 hours."),
            field="max_duration_minutes",
        )
    if not 1 <= settings.max_days_ahead <= 365:
        raise InvalidInput(_("Choose between 1 and 365 days."), field="max_days_ahead")
    if not 1 <= settings.max_active_bookings <= 100:
        raise InvalidInput(_("Choose between 1 and 100 bookings."), field="max_active_bookings")
    if not 0 <= settings.checkin_grace_minutes <= 240:
        raise InvalidInput(_("Choose between 0 and 240 minutes."), field="checkin_grace_minutes")
    if settings.cost_per_desk_month < 0 or settings.fixed_cost_per_month < 0:
        raise InvalidInput(_("A cost cannot be negative."), field="cost_per_desk_month")


def _settings_values(settings: HubSettings) -> dict:
    values = {k: v for k, v in vars(settings).items() if k != "admitted_organisations"}
    values["host_organisation_id"] = values.pop("host_organisation").id
    return values


def _set_admissions(hub: Hub, organisations: list[Organisation] | None) -> dict:
    before = sorted(o.code for o in hub.admitted_organisations)
    hub.admitted_organisations = list(organisations or [])
    after = sorted(o.code for o in hub.admitted_organisations)
    return {"admitted_organisations": [before, after]} if before != after else {}


def create_hub(
    actor: User | None, settings: HubSettings, info: HubInformation | None = None
) -> Hub:
    if actor is not None:
        require(actor.is_system_admin)
    _check_settings(settings)
    hub = Hub(**_settings_values(settings), **vars(info or HubInformation()))
    with commit_or_refuse(_("A hub with that name exists already."), "name"):
        db.session.add(hub)
        _set_admissions(hub, settings.admitted_organisations)
        record(actor, "hub.create", hub, hub.name)
    return hub


def update_hub_settings(actor: User, hub: Hub, settings: HubSettings) -> Hub:
    require(actor.is_system_admin)
    _check_settings(settings, exclude_id=hub.id)
    with commit_or_refuse(_("A hub with that name exists already."), "name"):
        changes = apply_changes(hub, _settings_values(settings))
        changes |= _set_admissions(hub, settings.admitted_organisations)
        if changes:
            record(actor, "hub.update", hub, hub.name, changes)
    return hub


def update_hub_information(actor: User, hub: Hub, info: HubInformation) -> Hub:
    require(hub.can_manage(actor))
    values = {k: (v or "").strip() for k, v in vars(info).items()}
    if values["contact_email"] and "@" not in values["contact_email"]:
        raise InvalidInput(_("Enter a valid e-mail address."), field="contact_email")
    changes = apply_changes(hub, values)
    if changes:
        record(actor, "hub.information", hub, hub.name, changes)
    db.session.commit()
    return hub


# --- opening hours and closures ------------------------------------------------------------


DayHours = tuple[time, time] | tuple[time, time, time | None, time | None]


def _day_hours(weekday: int, hours: DayHours) -> tuple[time, time, time | None, time | None]:
    """A weekday's (opens, closes) or (opens, closes, break_starts, break_ends), checked and
    always as four values."""
    if len(hours) not in (2, 4):
        raise InvalidInput(_("Unknown opening hours."), field=f"day_{weekday}-opens")
    opens, closes, break_starts, break_ends = (*hours, None, None)[:4]
    if closes <= opens:
        raise InvalidInput(
            _("Closing time must be after opening time."), field=f"day_{weekday}-closes"
        )
    if (break_starts is None) != (break_ends is None):
        raise InvalidInput(
            _("Give both lunch times, or neither for no break."),
            field=f"day_{weekday}-break_ends",
        )
    if break_starts is not None:
        if break_ends <= break_starts:
            raise InvalidInput(
                _("The lunch break must end after it starts."),
                field=f"day_{weekday}-break_ends",
            )
        if not opens < break_starts or not break_ends < closes:
            raise InvalidInput(
                _("The lunch break must lie inside the opening hours."),
                field=f"day_{weekday}-break_starts",
            )
    return opens, closes, break_starts, break_ends


def _hours_record(values) -> list[str]:
    """A weekday's hours for the audit record: ["08:00", "17:00"], with the lunch break
    appended when there is one: ["08:00", "17:00", "12:00", "13:00"]."""
    return [t.isoformat("minutes") for t in values if t is not None]


def set_opening_hours(actor: User | None, hub: Hub, week: dict[int, DayHours | None]) -> Hub:
    """Replace the weekly hours: for each weekday (0 = Monday) an (opens, closes) pair or an
    (opens, closes, break_starts, break_ends) tuple with a lunch break (its times both None
    for none), or None for closed."""
    if actor is not None:
        require(hub.can_manage(actor))
    checked = {}
    for weekday, hours in week.items():
        if not 0 <= weekday <= 6:
            raise InvalidInput(_("Unknown weekday."))
        checked[weekday] = None if hours is None else _day_hours(weekday, hours)
    before = {
        r.weekday: _hours_record((r.opens, r.closes, r.break_starts, r.break_ends))
        for r in hub.opening_hours
    }
    current = {r.weekday: r for r in hub.opening_hours}
    for weekday in range(7):
        hours = checked.get(weekday)
        row = current.get(weekday)
        if hours is None and row is not None:
            hub.opening_hours.remove(row)
        elif hours is not None and row is None:
            row = OpeningHours(weekday=weekday)
            hub.opening_hours.append(row)
        if hours is not None:
            row.opens, row.closes, row.break_starts, row.break_ends = hours
    after = {d: _hours_record(h) for d, h in checked.items() if h is not None}
    if before != after:
        record(actor, "hub.opening_hours", hub, hub.name, {"opening_hours": [before, after]})
    db.session.commit()
    return hub


def add_closure(actor: User | None, hub: Hub, start: date, end: date, reason: str) -> Closure:
    if actor is not None:
        require(hub.can_manage(actor))
    reason = (reason or "").strip()
    check_calendar_date(start, "start_date")
    check_calendar_date(end, "end_date")
    if end < start:
        raise InvalidInput(_("The last day cannot be before the first day."), field="end_date")
    if not reason:
        raise InvalidInput(_("Give a reason; employees see it."), field="reason")
    if (end - start).days > 366:
        raise InvalidInput(_("A closure can be at most one year long."), field="end_date")
    closure = Closure(start_date=start, end_date=end, reason=reason[:200])
    hub.closures.append(closure)
    record(actor, "closure.create", closure, f"{hub.name}: {start}–{end} {reason}")
    db.session.commit()
    return closure


def delete_closure(actor: User, hub: Hub, closure_id: int) -> None:
    require(hub.can_manage(actor))
    closure = next((c for c in hub.closures if c.id == closure_id), None)
    if closure is None:
        raise NotFound(_("No such closure."))
    record(
        actor,
        "closure.delete",
        closure,
        f"{hub.name}: {closure.start_date}–{closure.end_date} {closure.reason}",
    )
    hub.closures.remove(closure)
    db.session.commit()


# --- desks ---------------------------------------------------------------------------------


def _clean_desk(hub: Hub, label: str, zone: str, exclude_id: int | None = None) -> tuple[str, str]:
    label, zone = (label or "").strip(), (zone or "").strip()
    if not label:
        raise InvalidInput(_("Enter a label for the desk."), field="label")
    if len(label) > 40:
        raise InvalidInput(_("The label may have at most 40 characters."), field="label")
    if len(zone) > 60:
        raise InvalidInput(_("The zone may have at most 60 characters."), field="zone")
    clash = any(d.label.lower() == label.lower() and d.id != exclude_id for d in hub.desks)
    if clash:
        raise InvalidInput(_("The hub has a desk with that label already."), field="label")
    return label, zone


def create_desk(
    actor: User | None,
    hub: Hub,
    label: str,
    zone: str = "",
    equipment: list[Equipment] | None = None,
    active: bool = True,
) -> Desk:
    if actor is not None:
        require(hub.can_manage(actor))
    label, zone = _clean_desk(hub, label, zone)
    now = utcnow()
    # A desk created inactive adds no capacity until it is activated.
    desk = Desk(label=label, zone=zone, active=active, created_at=now)
    desk.inactive_since = None if active else now
    desk.equipment_rows = [DeskEquipment(tag=tag) for tag in dict.fromkeys(equipment or [])]
    with commit_or_refuse(_("The hub has a desk with that label already."), "label"):
        hub.desks.append(desk)
        record(actor, "desk.create", desk, f"{hub.name}: {label}")
    return desk


def update_desk(
    actor: User,
    desk: Desk,
    label: str,
    zone: str,
    equipment: list[Equipment],
    active: bool,
) -> Desk:
    require(desk.hub.can_manage(actor))
    label, zone = _clean_desk(desk.hub, label, zone, exclude_id=desk.id)
    before = [t.value for t in desk.equipment]
    wanted = list(dict.fromkeys(equipment))
    with commit_or_refuse(_("The hub has a desk with that label already."), "label"):
        if active != desk.active:
            _record_activity(actor, desk, active, utcnow())
        changes = apply_changes(desk, {"label": label, "zone": zone, "active": active})
        if set(before) != {t.value for t in wanted}:
            desk.equipment_rows = [DeskEquipment(tag=tag) for tag in wanted]
            changes["equipment"] = [before, [t.value for t in wanted]]
        if changes:
            record(actor, "desk.update", desk, f"{desk.hub.name}: {label}", changes)
    return desk


def _record_activity(actor: User | None, desk: Desk, active: bool, now: datetime) -> None:
    """Keep the desk's history for capacity: deactivating marks when it stopped counting;
    reactivating turns the inactive stretch into out-of-service time (where no period covers it
    already, so periods never overlap) and the desk counts again from now. Past periods thus
    keep the capacity they had."""
    if not active:
        desk.inactive_since = now
        return
    since, desk.inactive_since = desk.inactive_since, None
    if since is None:
        return
    reason = _("Inactive (deactivated by the hub manager)")[:200]
    for starts, ends in _uncovered(desk, since, now):
        desk.out_of_service.append(
            OutOfService(
                starts_at=starts,
                ends_at=ends,
                reason=reason,
                created_by_id=actor.id if actor else None,
            )
        )


def _uncovered(desk: Desk, starts: datetime, ends: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [starts, ends) that none of the desk's out-of-service periods covers."""
    gaps, cursor = [], starts
    for period in sorted(desk.out_of_service, key=lambda p: p.starts_at):
        if period.ends_at <= cursor or period.starts_at >= ends:
            continue
        if period.starts_at > cursor:
            gaps.append((cursor, period.starts_at))
        cursor = max(cursor, period.ends_at)
    if cursor < ends:
        gaps.append((cursor, ends))
    return gaps


def add_out_of_service(
    actor: User | None, desk: Desk, starts: datetime, ends: datetime, reason: str
) -> OutOfService:
    """Take a desk out of service from ``starts`` to ``ends`` (aware datetimes)."""
    if actor is not None:
        require(desk.hub.can_manage(actor))
    reason = (reason or "").strip()
    if starts.tzinfo is None or ends.tzinfo is None:
        raise InvalidInput(_("Give a time with a time zone."))
    check_calendar_date(starts.date(), "start_date")
    check_calendar_date(ends.date(), "end_date")
    for moment, field_name in ((starts, "start_time"), (ends, "end_time")):
        if not exists_on_wall_clock(moment):
            raise InvalidInput(
                _("That time does not exist that night: the clocks go forward."),
                field=field_name,
            )
    # Compared in UTC: two times in one zone compare by wall clock, which is wrong across a
    # DST change (02.30 on the spring-forward night is later than 03.00).
    starts, ends = starts.astimezone(UTC), ends.astimezone(UTC)
    if ends <= starts:
        raise InvalidInput(_("The end must be after the start."), field="end_date")
    if not reason:
        raise InvalidInput(_("Give a reason; employees see it."), field="reason")
    zone = ZoneInfo(desk.hub.timezone)
    clash = db.session.scalar(
        select(OutOfService)
        .where(
            OutOfService.desk_id == desk.id,
            OutOfService.starts_at < ends,
            OutOfService.ends_at > starts,
        )
        .order_by(OutOfService.starts_at)
        .limit(1)
    )
    if clash is not None:
        # One period at a time, so that out-of-service time is never counted twice.
        raise InvalidInput(
            _(
                "The desk is already out of service from %(start)s to %(end)s. Remove that "
                "period first, or choose a time outside it.",
                start=fmt_datetime(clash.starts_at, desk.hub.timezone),
                end=fmt_datetime(clash.ends_at, desk.hub.timezone),
            ),
            field="start_date",
        )
    period = OutOfService(
        starts_at=starts,
        ends_at=ends,
        reason=reason[:200],
        created_by_id=actor.id if actor else None,
    )
    desk.out_of_service.append(period)
    record(
        actor,
        "desk.out_of_service",
        desk,
        f"{desk.hub.name}: {desk.label} {starts.astimezone(zone):%Y-%m-%d %H:%M}–"
        f"{ends.astimezone(zone):%Y-%m-%d %H:%M} {reason}",
    )
    db.session.commit()
    return period


def delete_out_of_service(actor: User, desk: Desk, period_id: int) -> None:
    require(desk.hub.can_manage(actor))
    period = next((p for p in desk.out_of_service if p.id == period_id), None)
    if period is None:
        raise NotFound(_("No such out-of-service period."))
    record(actor, "desk.back_in_service", desk, f"{desk.hub.name}: {desk.label} {period.reason}")
    desk.out_of_service.remove(period)
    db.session.commit()
