"""Calendar feed pages: the feeds themselves (no login: the token in the address is the secret)
and the buttons that create, regenerate and turn off a user's or a hub's feed.

Every address given out (a feed's, and the links in its events) is built under HUBBAR_BASE_URL,
never from the Host header of the request: a subscription link copied into Outlook must point
at the service, whatever address the page was reached by."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hubbar.accounts.models import LOCALES, User
from hubbar.bookings import feeds as ops
from hubbar.bookings.models import Booking
from hubbar.hubs.models import Hub
from hubbar.hubs.operations import get_hub
from hubbar.mail.messages import link

bp = Blueprint("feeds", __name__)


def _booking_url(booking: Booking) -> str:
    return link("bookings.detail", booking_id=booking.id)


def _ics(body: bytes) -> Response:
    """An .ics feed answer: never cached by shared caches, fetched again after five minutes."""
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="hubbar.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_global()
def calendar_feed_url(user: User) -> str | None:
    """The absolute address of the user's feed, or None when the user has none."""
    if not user.calendar_token:
        return None
    return link("feeds.user_feed", token=user.calendar_token)


@bp.app_template_global()
def hub_calendar_feed_url(hub: Hub, locale: str = "sv") -> str | None:
    """The absolute address of the hub's feed (its events in ``locale``), or None."""
    if not hub.calendar_token:
        return None
    lang = locale if locale in LOCALES and locale != "sv" else None
    return link("feeds.hub_feed", token=hub.calendar_token, lang=lang)


# --- the feeds -----------------------------------------------------------------------------


@bp.get("/calendar/<token>.ics")
def user_feed(token: str):
    user = ops.user_for_feed(token)
    return _ics(ops.user_feed(user, _booking_url))


@bp.get("/calendar/hub/<token>.ics")
def hub_feed(token: str):
    hub = ops.hub_for_feed(token)
    locale = request.args.get("lang", "sv")
    return _ics(ops.hub_feed(hub, _booking_url, locale=locale if locale in LOCALES else "sv"))


# --- a user's own feed ---------------------------------------------------------------------


@bp.post("/profile/calendar")
@login_required
def create_user_feed():
    had_one = bool(current_user.calendar_token)
    ops.create_or_regenerate_feed(current_user)
    if had_one:
        flash(_("You have a new subscription link. The old one no longer works."), "success")
    else:
        flash(_("Your subscription link is ready."), "success")
    return redirect(url_for("accounts.profile") + "#calendar")


@bp.post("/profile/calendar/off")
@login_required
def turn_off_user_feed():
    ops.turn_off_feed(current_user)
    flash(_("Your calendar subscription is turned off."), "success")
    return redirect(url_for("accounts.profile") + "#calendar")


# --- a hub's feed for its managers ---------------------------------------------------------


@bp.post("/manage/hubs/<int:hub_id>/calendar")
@login_required
def create_hub_feed(hub_id: int):
    hub = get_hub(hub_id)
    had_one = bool(hub.calendar_token)
    ops.create_or_regenerate_hub_feed(current_user, hub)
    if had_one:
        flash(_("The hub has a new feed link. The old one no longer works."), "success")
    else:
        flash(_("The hub's feed link is ready."), "success")
    return redirect(url_for("hubs.manage", hub_id=hub.id) + "#calendar-feed")


@bp.post("/manage/hubs/<int:hub_id>/calendar/off")
@login_required
def turn_off_hub_feed(hub_id: int):
    hub = get_hub(hub_id)
    ops.turn_off_hub_feed(current_user, hub)
    flash(_("The hub's calendar feed is turned off."), "success")
    return redirect(url_for("hubs.manage", hub_id=hub.id) + "#calendar-feed")
