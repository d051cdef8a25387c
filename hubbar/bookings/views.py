"""Booking pages: find and book a desk, a hub's day, my bookings, check-in by the desk's QR code.

Every page parses the request, calls the booking engine (``hubbar.bookings.operations``) and
renders; the rules live in the engine. What is read here (a desk's day, the people a manager may
book for) is read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from hubbar.accounts.models import Organisation, User
from hubbar.bookings import operations as ops
from hubbar.bookings.forms import QUICK_LABELS, ChangeForm, FindForm, WeeklyForm
from hubbar.bookings.ical import booking_calendar
from hubbar.bookings.models import Booking
from hubbar.db import utcnow
from hubbar.errors import DomainError, NotAllowed, NotFound
from hubbar.extensions import db
from hubbar.formats import fmt_date, fmt_time, fmt_weekday
from hubbar.hubs import operations as hub_ops
from hubbar.hubs.calendar import hub_days
from hubbar.hubs.models import Desk, Equipment, Hub, OutOfService
from hubbar.operations import EARLIEST_DATE, LATEST_DATE
from hubbar.pilots.feedback import feedback_offers, offers_feedback
from hubbar.web import MAX_ID, form_error, local_path

bp = Blueprint("bookings", __name__)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DAY_BUTTONS = 5  # the next open days offered as one-tap buttons on the find page
LOOK_AHEAD = timedelta(days=21)
WEEKLY_DEFAULT_WEEKS = 3


# --- small readers -------------------------------------------------------------------------


def _id(value) -> int | None:
    """An id from a form or query value; anything else is None."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def _day(value: str) -> date | None:
    """A calendar date written YYYY-MM-DD within the years the app handles, else None."""
    value = (value or "").strip()
    if not DATE_RE.match(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


def _time(value: str) -> time | None:
    value = (value or "").strip()
    return time.fromisoformat(value) if TIME_RE.match(value) else None


def _hhmm(moment: time | datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _safe_next(target: str | None) -> str | None:
    return local_path(target)


# --- hubs and people -----------------------------------------------------------------------


def _choosable_hubs(user: User) -> list[Hub]:
    """Hubs the user may book at, and the active hubs they manage (to book for others)."""
    hubs = {h.id: h for h in hub_ops.bookable_hubs(user)}
    if user.is_hub_manager or user.is_system_admin:
        for hub in hub_ops.managed_hubs(user):
            if hub.active:
                hubs.setdefault(hub.id, hub)
    return sorted(hubs.values(), key=lambda h: h.name)


def _bookers(hub: Hub) -> list[User]:
    """Whom a hub manager may book for: active users of the host and admitted organisations."""
    organisation_ids = {hub.host_organisation_id, *(o.id for o in hub.admitted_organisations)}
    return list(
        db.session.scalars(
            select(User)
            .join(User.organisation)
            .where(User.organisation_id.in_(organisation_ids), User.active)
            .order_by(Organisation.name, User.display_name)
        )
    )


def _booker_choices(hub: Hub) -> dict | list:
    """The "Book for" options, grouped by organisation."""
    groups: dict[str, list[tuple[str, str]]] = {_("You"): [("", current_user.display_name)]}
    for user in _bookers(hub):
        if user.id != current_user.id:
            groups.setdefault(user.organisation.name, []).append(
                (str(user.id), f"{user.display_name} ({user.email})")
            )
    return groups


# --- days and windows ----------------------------------------------------------------------


def default_day(hub: Hub, now: datetime) -> date:
    """Today while a shortest booking still fits before closing, else the next open day."""
    today = now.astimezone(ops.hub_zone(hub)).date()
    latest_start = ops.floor_to_slot(now, hub) + timedelta(minutes=hub.min_duration_minutes)
    for schedule in hub_days(hub, today, today + LOOK_AHEAD):
        if not schedule.is_open:
            continue
        if schedule.day > today or latest_start <= schedule.interval(hub.timezone)[1]:
            return schedule.day
    return today


def _day_buttons(hub: Hub, now: datetime) -> list[tuple[date, str, str]]:
    """The next open days as (day, first line, second line): "Today", "Tomorrow", "Thu 5 Mar"."""
    today = now.astimezone(ops.hub_zone(hub)).date()
    first = default_day(hub, now)
    last = min(first + LOOK_AHEAD, today + timedelta(days=hub.max_days_ahead))
    days = [s.day for s in hub_days(hub, first, last) if s.is_open][:DAY_BUTTONS]
    names = {today: _("Today"), today + timedelta(days=1): _("Tomorrow")}
    buttons = []
    for day in days:
        short = format_date(day, "EEE d MMM").replace(".", "")
        buttons.append((day, names.get(day, fmt_weekday(day)), short))
    return buttons


def _time_choices(hub: Hub, day: date) -> list[tuple[str, str]]:
    """Every slot boundary of the day's opening hours (or the week's, on a closed day)."""
    schedule = ops.schedule_of(hub, day)
    if schedule.is_open:
        opens, closes = schedule.opens, schedule.closes
    elif hub.opening_hours:
        opens = min(row.opens for row in hub.opening_hours)
        closes = max(row.closes for row in hub.opening_hours)
    else:
        opens, closes = time(8), time(17)
    choices = []
    minutes, last = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
    minutes += -minutes % hub.slot_minutes
    while minutes <= last:
        at = time(minutes // 60, minutes % 60)
        # Nobody arrives or leaves during the lunch break; its edges stay (end at its start,
        # start at its end).
        if not (schedule.has_break and schedule.break_starts < at < schedule.break_ends):
            choices.append((_hhmm(at), fmt_time(at)))
        minutes += hub.slot_minutes
    return choices


def _quick_times(hub: Hub, day: date) -> dict[str, str]:
    """What morning, afternoon and whole day mean that day, e.g. {"morning": "08.00–12.00"}."""
    times = {}
    for choice in ops.QUICK_CHOICES:
        try:
            starts, ends = ops.quick_window(hub, day, choice)
        except DomainError:
            continue
        times[choice] = f"{fmt_time(starts)}–{fmt_time(ends)}"
    return times


def _default_choice(hub: Hub, day: date, now: datetime) -> str:
    """The morning, unless this morning has passed."""
    try:
        ends = ops.quick_window(hub, day, "morning")[1]
    except DomainError:
        return "morning"
    return "afternoon" if ops.floor_to_slot(now, hub) >= ends else "morning"


# --- the wish: what the find form asks for ---------------------------------------------------


@dataclass
class Wish:
    """A parsed find form: hub, day, window, equipment and whom it is for."""

    hub: Hub
    day: date
    choice: str
    user: User
    equipment: list[Equipment] = field(default_factory=list)
    starts: datetime | None = None  # None when the form has an error
    ends: datetime | None = None
    closed: bool = False  # the hub is closed that day

    @property
    def for_someone_else(self) -> bool:
        return self.user.id != current_user.id

    def fields(self) -> dict[str, str | list[str]]:
        """The wish as form values, for the booking buttons and links."""
        zone = ops.hub_zone(self.hub)
        values: dict[str, str | list[str]] = {
            "hub": str(self.hub.id),
            "date": self.day.isoformat(),
            "choice": self.choice,
        }
        if self.choice == "custom" and self.starts is not None:
            values["start"] = _hhmm(self.starts.astimezone(zone))
            values["end"] = _hhmm(self.ends.astimezone(zone))
        if self.equipment:
            values["equipment"] = [e.value for e in self.equipment]
        if self.for_someone_else:
            values["for_user"] = str(self.user.id)
        return values


def _pick_hub(form: FindForm, hubs: list[Hub]) -> Hub | None:
    """The hub asked for; else the one used last; else the first. Unknown: 404; not allowed: 403."""
    allowed = {h.id: h for h in hubs}
    hub_id = _id(form.hub.data)
    if hub_id is not None:
        hub = hub_ops.get_hub(hub_id)
        if hub.id not in allowed:
            abort(403)
        return hub
    last = session.get("last_hub_id") or _last_booked_hub_id(current_user)
    return allowed.get(last) or (hubs[0] if hubs else None)


def _last_booked_hub_id(user: User) -> int | None:
    """The hub of the user's most recently made booking: where they will likely book again."""
    return db.session.scalar(
        select(Booking.hub_id)
        .where(Booking.user_id == user.id)
        .order_by(Booking.created_at.desc())
        .limit(1)
    )


def _pick_user(form: FindForm, hub: Hub) -> User | None:
    """Whom the booking is for: the user, or (for the hub's managers) someone they choose."""
    raw = (form.for_user.data or "").strip()
    user_id = _id(raw)
    if not raw or user_id == current_user.id:
        return current_user
    if user_id is not None and not hub.can_manage(current_user):
        raise NotAllowed(_("Only the hub's managers can book on someone's behalf."))
    user = next((u for u in _bookers(hub) if u.id == user_id), None)
    if user is None:
        form.for_user.errors.append(_("Choose a person from the list."))
    return user


def read_wish(form: FindForm, hubs: list[Hub], now: datetime) -> tuple[Hub | None, Wish | None]:
    """Read the find form. Problems become field errors and the wish lacks its window."""
    form.validate()  # the equipment checkboxes: only known tags
    hub = _pick_hub(form, hubs)
    if hub is None:
        return None, None
    user = _pick_user(form, hub)

    raw_day = form.date.data or ""
    day_field = form.date
    if raw_day == "other":
        raw_day, day_field = form.other_date.data or "", form.other_date
    day = _day(raw_day) if raw_day else default_day(hub, now)
    if day is None:
        day_field.errors.append(_("Enter a valid date, like 2026-03-31."))
        day = default_day(hub, now)

    choice = form.choice.data or _default_choice(hub, day, now)
    if choice not in QUICK_LABELS:
        form.choice.errors.append(_("Choose morning, afternoon or the whole day."))
        choice = "morning"
    form.choice.data = choice
    known = {e.value for e in Equipment}
    equipment = [Equipment(v) for v in form.equipment.data or [] if v in known]
    if form.errors or user is None:
        return hub, Wish(hub, day, choice, user or current_user, equipment)
    wish = Wish(hub, day, choice, user, equipment)

    schedule = ops.schedule_of(hub, day)
    zone = ops.hub_zone(hub)
    if choice == "custom":
        start, end = _time(form.start.data), _time(form.end.data)
        if start is None:
            form.start.errors.append(_("Choose a time."))
        if end is None:
            form.end.errors.append(_("Choose a time."))
        if start is None or end is None:
            return hub, wish
        starts, ends = ops.local_datetime(hub, day, start), ops.local_datetime(hub, day, end)
        if ends <= starts:
            form.end.errors.append(_("The end must be after the start."))
            return hub, wish
    elif not schedule.is_open:
        starts = datetime.combine(day, time(0), tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        try:  # today's morning starts at the current slot, not at opening time
            starts, ends = ops.quick_window(hub, day, choice, now=now)
        except DomainError as error:
            form.choice.errors.append(str(error.message))
            return hub, wish
    wish.starts, wish.ends, wish.closed = starts, ends, not schedule.is_open
    return hub, wish


# --- find and book -------------------------------------------------------------------------


def _book_windows(hub: Hub, state: ops.DeskState) -> list[tuple[datetime, datetime]]:
    """A partly free desk's free stretches, trimmed to whole slots and long enough to book."""
    windows = []
    for a, b in state.free:
        a, b = ops.ceil_to_slot(a, hub), ops.floor_to_slot(b, hub)
        if (b - a) >= timedelta(minutes=hub.min_duration_minutes):
            windows.append((a, b))
    return windows


def _find_page(
    form: FindForm,
    *,
    searched: bool,
    refusal: DomainError | None = None,
    status: int = 200,
    record_search: bool = True,
):
    now = utcnow()
    hubs = _choosable_hubs(current_user)
    hub, wish = read_wish(form, hubs, now)
    states, problem, own_desks, next_open = [], None, set(), None
    if hub is not None:
        session["last_hub_id"] = hub.id
        day = wish.day
        form.hub.data = str(hub.id)
        form.date.data = day.isoformat()
        form.start.choices = _time_choices(hub, day)
        form.end.choices = form.start.choices[1:]
        form.start.choices = form.start.choices[:-1]
        for select_field in (form.start, form.end):
            # Keep a submitted time the list lacks (another hub's hours), so it shows.
            value = select_field.data
            if _time(value) and value not in dict(select_field.choices):
                select_field.choices = sorted([*select_field.choices, (value, value)])
        if not form.start.data and form.start.choices:
            quick = wish.starts or ops.local_datetime(hub, day, time(8))
            form.start.data = _hhmm(quick.astimezone(ops.hub_zone(hub)))
        if not form.end.data and form.end.choices:
            form.end.data = form.end.choices[-1][0]
        if hub.can_manage(current_user):
            form.for_user.choices = _booker_choices(hub)
        if searched and wish.starts is not None:
            find = ops.search if record_search else _availability
            states = find(wish.user, hub, wish.starts, wish.ends, wish.equipment, now=now)
            states.sort(key=lambda state: state.desk.label)
            own_desks = _own_desks(wish)
            if wish.closed:
                next_open = _next_open_day(hub, wish.day)
            else:
                try:
                    ops.check_policy(hub, None, wish.user, wish.starts, wish.ends, now)
                except DomainError as error:
                    problem = str(error.message)
    if not searched:
        for form_field in form:
            form_field.errors = []  # defaults, not the user's input: nothing to complain about
    page = render_template(
        "bookings/find.html",
        form=form,
        hubs=hubs,
        hub=hub,
        wish=wish,
        searched=searched and wish is not None and wish.starts is not None,
        states=states,
        free=[s for s in states if s.state == "free"],
        partly=[s for s in states if s.state == "partly"],
        taken=[s for s in states if s.state not in ("free", "partly")],
        problem=problem,
        refusal=refusal,
        own_desks=own_desks,
        next_open=next_open,
        day_buttons=_day_buttons(hub, now) if hub else [],
        quick_times=_quick_times(hub, wish.day) if hub else {},
        quick_labels=QUICK_LABELS,
        book_windows=lambda state: _book_windows(hub, state),
    )
    return page, status


def _own_desks(wish: Wish) -> set[int]:
    """The desks the person already holds during the wished window (to say "yours")."""
    return set(
        db.session.scalars(
            select(Booking.desk_id).where(
                Booking.user_id == wish.user.id,
                Booking.hub_id == wish.hub.id,
                Booking.starts_at < wish.ends,
                Booking.occupied_until > wish.starts,
                Booking.occupied_until > Booking.starts_at,
            )
        )
    )


def _next_open_day(hub: Hub, day: date) -> date | None:
    if day + timedelta(days=1) > LATEST_DATE - LOOK_AHEAD:
        return None
    return next(
        (s.day for s in hub_days(hub, day + timedelta(days=1), day + LOOK_AHEAD) if s.is_open),
        None,
    )


def _availability(user, hub, starts, ends, equipment, *, now=None):
    """As ops.search, without recording the search as unmet demand (a refused booking already
    recorded its own miss)."""
    return ops.availability(hub, starts, ends, equipment)


@bp.get("/book")
@login_required
def find():
    searched = bool(request.args)
    form = FindForm(formdata=request.args if searched else None)
    return _find_page(form, searched=searched)


@bp.post("/book")
@login_required
def book():
    form = FindForm(formdata=request.form)
    now = utcnow()
    if _id(form.hub.data) is None:
        raise NotFound(_("No such hub."))
    hub, wish = read_wish(form, _choosable_hubs(current_user), now)
    if wish is None or wish.starts is None:
        return _find_page(FindForm(formdata=request.form), searched=True, status=422)
    desk_value = form.desk.data
    try:
        if desk_value:
            desk_id = _id(desk_value)
            if desk_id is None:
                raise NotFound(_("No such desk."))
            desk = hub_ops.get_desk(hub, desk_id)
            booking = ops.book(current_user, wish.user, desk, wish.starts, wish.ends, now=now)
        else:
            booking = ops.book_any(
                current_user, wish.user, hub, wish.starts, wish.ends, wish.equipment, now=now
            )
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        retry = FindForm(formdata=request.form)
        return _find_page(
            retry, searched=True, refusal=error, status=error.status, record_search=False
        )
    session["last_hub_id"] = hub.id
    flash(_booked_message(booking), "success")
    return redirect(
        _safe_next(request.form.get("next")) or url_for(".detail", booking_id=booking.id)
    )


def _when(booking: Booking) -> str:
    zone = ops.hub_zone(booking.hub)
    starts, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    return f"{fmt_weekday(starts.date())} {fmt_date(starts)} {fmt_time(starts)}–{fmt_time(ends)}"


def _booked_message(booking: Booking) -> str:
    if booking.user_id != current_user.id and booking.user is not None:
        return _(
            "%(desk)s at %(hub)s is booked for %(name)s, %(when)s.",
            desk=booking.desk.label,
            hub=booking.hub.name,
            name=booking.user.display_name,
            when=_when(booking),
        )
    return _(
        "%(desk)s at %(hub)s is booked for you, %(when)s.",
        desk=booking.desk.label,
        hub=booking.hub.name,
        when=_when(booking),
    )


# --- weekly --------------------------------------------------------------------------------


def _weekly_desk(form: WeeklyForm) -> tuple[Desk, User, date]:
    """The desk, person and first day a weekly booking starts from (404 or 403 otherwise)."""
    desk_id = _id(form.desk.data)
    desk = db.session.get(Desk, desk_id) if desk_id else None
    if desk is None:
        raise NotFound(_("No such desk."))
    if desk.hub.id not in {h.id for h in _choosable_hubs(current_user)}:
        abort(403)
    user_id = _id(form.for_user.data)
    user = current_user
    if user_id is not None and user_id != current_user.id:
        if not desk.hub.can_manage(current_user):
            raise NotAllowed(_("Only the hub's managers can book on someone's behalf."))
        user = next((u for u in _bookers(desk.hub) if u.id == user_id), None)
        if user is None:
            raise NotFound(_("No such user."))
    first = _day(form.date.data) or default_day(desk.hub, utcnow())
    return desk, user, first


@bp.route("/book/weekly", methods=["GET", "POST"])
@login_required
def weekly():
    form = WeeklyForm(formdata=request.form if request.method == "POST" else request.args)
    desk, user, first = _weekly_desk(form)
    hub = desk.hub
    choices = _time_choices(hub, first)
    form.start.choices, form.end.choices = choices[:-1], choices[1:]
    open_weekdays = sorted({row.weekday for row in hub.opening_hours}) or range(7)
    form.weekdays.choices = [(i, fmt_weekday(i)) for i in open_weekdays]
    form.date.data = first.isoformat()
    if request.method == "GET":
        form.weekdays.data = [first.weekday()]
        today = utcnow().astimezone(ops.hub_zone(hub)).date()
        form.until.data = min(
            first + timedelta(weeks=WEEKLY_DEFAULT_WEEKS),
            max(first, today + timedelta(days=hub.max_days_ahead)),
        )
        form.start.data = form.start.data or (choices[0][0] if choices else "")
        form.end.data = form.end.data or (choices[-1][0] if choices else "")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            start, end = _time(form.start.data), _time(form.end.data)
            if start is None:
                form.start.errors.append(_("Choose a time."))
            if end is None:
                form.end.errors.append(_("Choose a time."))
            if start and end and end <= start:
                form.end.errors.append(_("The end must be after the start."))
            elif start and end:
                try:
                    results = ops.book_weekly(
                        current_user,
                        user,
                        desk,
                        first,
                        start,
                        end,
                        form.weekdays.data,
                        form.until.data,
                    )
                except NotAllowed:
                    raise
                except DomainError as error:
                    db.session.rollback()
                    form_error(form, error)
                else:
                    return render_template(
                        "bookings/weekly_result.html",
                        desk=desk,
                        hub=hub,
                        user=user,
                        results=results,
                        booked=[r for r in results if r.booking is not None],
                        start=start,
                        end=end,
                    )
        status = 422
    return (
        render_template(
            "bookings/weekly.html", form=form, desk=desk, hub=hub, user=user, first=first
        ),
        status,
    )


# --- my bookings ---------------------------------------------------------------------------


@bp.get("/bookings")
@login_required
def mine():
    now = utcnow()
    upcoming, past = ops.my_bookings(current_user, now)
    return render_template(
        "bookings/mine.html",
        upcoming=upcoming,
        past=past,
        actions={b.id: ops.booking_actions(b, now) for b in upcoming},
        now=now,
        feedback_offers=feedback_offers(current_user, now),
    )


def _change_form(booking: Booking) -> ChangeForm:
    """The "Change time" form: on a GET filled with the booking's day and hours, on a POST with
    what was sent; the times offered are the slots of the chosen day (or the booking's)."""
    hub = booking.hub
    zone = ops.hub_zone(hub)
    starts, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    form = ChangeForm(data={"date": starts.date(), "start": _hhmm(starts), "end": _hhmm(ends)})
    day = form.date.data
    if not isinstance(day, date) or not EARLIEST_DATE <= day <= LATEST_DATE:
        day = starts.date()
    choices = _time_choices(hub, day)
    form.start.choices, form.end.choices = choices[:-1], choices[1:]
    return form


def _detail_page(booking: Booking, change_form: ChangeForm | None = None, status: int = 200):
    now = utcnow()
    actions = ops.booking_actions(booking, now)
    if change_form is None and actions["can_change"]:
        change_form = _change_form(booking)
    return (
        render_template(
            "bookings/detail.html",
            booking=booking,
            actions=actions,
            change_form=change_form if actions["can_change"] else None,
            feedback_offered=offers_feedback(current_user, booking, now),
        ),
        status,
    )


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    return _detail_page(ops.get_booking_for(current_user, booking_id))


@bp.post("/bookings/<int:booking_id>/change")
@login_required
def change(booking_id: int):
    """Move the booking to another day or other hours on the same desk."""
    booking = ops.get_booking_for(current_user, booking_id)
    form = _change_form(booking)
    if form.validate_on_submit():
        # A field that was not sent at all would keep the booking's own value (the form is
        # filled with it): ask for it instead of changing, or not changing, silently.
        if "date" not in request.form:
            form.date.errors.append(_("Enter a valid date, like 2026-03-31."))
        for name in ("start", "end"):
            if name not in request.form:
                form[name].errors.append(_("Choose a time."))
        day = form.date.data
        start, end = _time(form.start.data), _time(form.end.data)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            form.date.errors.append(_("Enter a valid date, like 2026-03-31."))
        if start is None:
            form.start.errors.append(_("Choose a time."))
        if end is None:
            form.end.errors.append(_("Choose a time."))
        elif start is not None and end <= start:
            form.end.errors.append(_("The end must be after the start."))
        if not form.errors:
            hub = booking.hub
            before = (booking.starts_at, booking.ends_at)
            try:
                ops.change(
                    current_user,
                    booking,
                    ops.local_datetime(hub, day, start),
                    ops.local_datetime(hub, day, end),
                )
            except (NotAllowed, NotFound):
                raise
            except DomainError as error:
                db.session.rollback()
                form_error(form, error)
            else:
                if (booking.starts_at, booking.ends_at) == before:
                    flash(_("Nothing changed: the booking already has that time."), "info")
                else:
                    flash(_("The booking is changed to %(when)s.", when=_when(booking)), "success")
                return redirect(url_for(".detail", booking_id=booking.id))
    return _detail_page(booking, form, 422)


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def ics(booking_id: int):
    booking = ops.get_booking_for(current_user, booking_id)
    body = booking_calendar(booking, url_for(".detail", booking_id=booking.id, _external=True))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="hubbar-booking-{booking.id}.ics"'},
    )


def _change(booking_id: int, operation, done) -> Response:
    """Apply ``operation`` to the booking; say ``done(booking)`` or why not; go back."""
    booking = ops.get_booking_for(current_user, booking_id)
    try:
        operation(current_user, booking)
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(done(booking), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for(".mine"))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    return _change(
        booking_id,
        ops.cancel,
        lambda b: _(
            "Your booking of %(desk)s at %(hub)s is cancelled.", desk=b.desk.label, hub=b.hub.name
        ),
    )


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int):
    return _change(
        booking_id,
        ops.check_in,
        lambda b: _("You are checked in at %(desk)s. Welcome!", desk=b.desk.label),
    )


@bp.post("/bookings/<int:booking_id>/check-out")
@login_required
def check_out(booking_id: int):
    return _change(
        booking_id,
        ops.check_out,
        lambda b: _("You are checked out; %(desk)s is free for others.", desk=b.desk.label),
    )


# --- check-in by QR code -------------------------------------------------------------------


def _get_desk(desk_id: int) -> Desk:
    desk = db.session.get(Desk, desk_id)
    if desk is None:
        raise NotFound(_("No such desk."))
    return desk


@bp.get("/checkin/desk/<int:desk_id>")
@login_required
def checkin_desk(desk_id: int):
    """What the desk's QR code opens: the user's booking of this desk now (or next today)."""
    desk = _get_desk(desk_id)
    hub = desk.hub
    if not hub.can_view(current_user):
        abort(403)
    now = utcnow()
    zone = ops.hub_zone(hub)
    today = now.astimezone(zone).date()
    end_of_day = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    mine_today = list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.user_id == current_user.id,
                Booking.hub_id == hub.id,
                Booking.is_active,
                Booking.occupied_until > now,
                Booking.starts_at < end_of_day,
            )
            .order_by(Booking.starts_at)
        )
    )
    booking = next((b for b in mine_today if b.desk_id == desk.id), None)
    elsewhere = next((b for b in mine_today if b.desk_id != desk.id), None)
    offer = None
    if booking is None and desk.active:
        offer = _offer_now(desk, now)
    return render_template(
        "bookings/checkin.html",
        desk=desk,
        hub=hub,
        booking=booking,
        actions=ops.booking_actions(booking, now) if booking else None,
        elsewhere=elsewhere,
        offer=offer,
        today=today,
    )


def _offer_now(desk: Desk, now: datetime) -> tuple[datetime, datetime] | None:
    """If the desk is free from the current slot on, the stretch one can book right away."""
    hub = desk.hub
    schedule = ops.schedule_of(hub, now.astimezone(ops.hub_zone(hub)).date())
    if not schedule.is_open:
        return None
    start = ops.floor_to_slot(now, hub)
    closes = schedule.interval(hub.timezone)[1]
    if start >= closes:
        return None
    state = next((s for s in ops.availability(hub, start, closes) if s.desk.id == desk.id), None)
    if state is None or not state.free or state.free[0][0] != start.astimezone(UTC):
        return None
    end = min(state.free[0][1], start + timedelta(minutes=hub.max_duration_minutes))
    end = ops.floor_to_slot(end, hub)
    if end - start < timedelta(minutes=hub.min_duration_minutes):
        return None
    return start, end.astimezone(ops.hub_zone(hub))


@bp.get("/manage/hubs/<int:hub_id>/qr")
@login_required
def qr_codes(hub_id: int):
    """A printable sheet: one QR code per active desk, opening that desk's check-in page."""
    hub = hub_ops.get_hub(hub_id)
    if not hub.can_manage(current_user):
        abort(403)
    codes = []
    for desk in hub.active_desks:
        url = url_for(".checkin_desk", desk_id=desk.id, _external=True)
        svg = segno.make(url, error="m").svg_inline(
            scale=1, border=2, omitsize=True, title=_("QR code for %(label)s", label=desk.label)
        )
        codes.append((desk, url, Markup(svg)))
    return render_template("bookings/qr_codes.html", hub=hub, codes=codes)


# --- a hub's day ---------------------------------------------------------------------------


@dataclass
class Stretch:
    """A part of a desk's open day: free, booked (with the booking) or out of service."""

    starts: datetime
    ends: datetime
    kind: str  # free | booked | out_of_service | closed (the lunch break)
    booking: Booking | None = None
    reason: str = ""
    offset: int = 0  # minutes from opening, for the bar
    minutes: int = 0
    book: tuple[str, str] | None = None  # a free stretch still bookable: local "HH:MM" times


def desk_days(
    hub: Hub,
    opens: datetime,
    closes: datetime,
    lunch: tuple[datetime, datetime] | None = None,
) -> dict[int, list[Stretch]]:
    """Each active desk's day from opening to closing as consecutive stretches (two queries);
    the lunch break, when given, is a closed stretch unless a booking spans it."""
    opens, closes = opens.astimezone(UTC), closes.astimezone(UTC)
    ids = [d.id for d in hub.active_desks]
    busy: dict[int, list[tuple]] = {i: [] for i in ids}
    if lunch is not None:
        for desk_id in ids:
            busy[desk_id].append((*(t.astimezone(UTC) for t in lunch), "closed", None))
    for booking in db.session.scalars(
        select(Booking).where(
            Booking.desk_id.in_(ids),
            Booking.starts_at < closes,
            Booking.occupied_until > opens,
            Booking.occupied_until > Booking.starts_at,
        )
    ):
        busy[booking.desk_id].append((booking.starts_at, booking.occupied_until, "booked", booking))
    for period in db.session.scalars(
        select(OutOfService).where(
            OutOfService.desk_id.in_(ids),
            OutOfService.starts_at < closes,
            OutOfService.ends_at > opens,
        )
    ):
        busy[period.desk_id].append((period.starts_at, period.ends_at, "out_of_service", period))
    days = {}
    for desk_id, items in busy.items():
        stretches, cursor = [], opens
        for starts, ends, kind, thing in sorted(items, key=lambda item: item[:2]):
            starts, ends = max(starts, cursor), min(ends, closes)
            if starts > cursor:
                stretches.append(Stretch(cursor, starts, "free"))
            if ends > starts:
                stretches.append(
                    Stretch(
                        starts,
                        ends,
                        kind,
                        booking=thing if kind == "booked" else None,
                        reason=thing.reason if kind == "out_of_service" else "",
                    )
                )
            cursor = max(cursor, ends)
        if cursor < closes:
            stretches.append(Stretch(cursor, closes, "free"))
        for stretch in stretches:
            stretch.offset = int((stretch.starts - opens).total_seconds() // 60)
            stretch.minutes = int((stretch.ends - stretch.starts).total_seconds() // 60)
        days[desk_id] = stretches
    return days


@bp.get("/hubs/<int:hub_id>/day")
@login_required
def day(hub_id: int):
    hub = hub_ops.get_hub(hub_id)
    if not hub.can_view(current_user):
        abort(403)
    now = utcnow()
    today = now.astimezone(ops.hub_zone(hub)).date()
    shown = _day(request.args.get("date", "")) or today
    schedule = ops.schedule_of(hub, shown)
    stretches, total = {}, 0
    if schedule.is_open:
        opens, closes = schedule.interval(hub.timezone)
        stretches = desk_days(hub, opens, closes, schedule.break_interval(hub.timezone))
        total = int((closes - opens).total_seconds() // 60)
        for stretch in (s for day in stretches.values() for s in day if s.kind == "free"):
            stretch.book = _bookable(hub, stretch.starts, stretch.ends, now)
    previous_day, next_day = shown - timedelta(days=1), shown + timedelta(days=1)
    return render_template(
        "bookings/day.html",
        hub=hub,
        day=shown,
        schedule=schedule,
        stretches=stretches,
        total=total,
        names=hub.can_manage(current_user),
        today=today,
        previous_day=previous_day if previous_day >= EARLIEST_DATE else None,
        next_day=next_day if next_day <= LATEST_DATE else None,
        hours=_hour_marks(schedule),
    )


def _bookable(hub: Hub, starts: datetime, ends: datetime, now: datetime):
    """The part of a free stretch one could still book, as local "HH:MM" times, or None."""
    starts = ops.ceil_to_slot(max(starts, ops.floor_to_slot(now, hub)), hub)
    ends = ops.floor_to_slot(ends, hub)
    if ends - starts < timedelta(minutes=hub.min_duration_minutes):
        return None
    return _hhmm(starts), _hhmm(ends)


def _hour_marks(schedule) -> list[tuple[int, str]]:
    """Whole hours within the opening hours, as (minutes from opening, label) for the bar."""
    if not schedule.is_open:
        return []
    start = schedule.opens.hour * 60 + schedule.opens.minute
    end = schedule.closes.hour * 60 + schedule.closes.minute
    first = start + (-start % 60)
    return [(m - start, f"{m // 60:02d}") for m in range(first, end + 1, 60)]
