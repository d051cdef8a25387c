"""How dates, times and amounts read: ISO dates, 09.00 in Swedish (09:00 in English), weeks
from Monday with ISO week numbers, kronor with a decimal comma."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask_babel import format_date, get_locale
from flask_babel import gettext as _


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def fmt_time(value: time | datetime | None) -> str:
    if value is None:
        return ""
    separator = "." if str(get_locale()) == "sv" else ":"
    return f"{value.hour:02d}{separator}{value.minute:02d}"


def fmt_datetime(value: datetime | None, timezone: str = "Europe/Stockholm") -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return f"{fmt_date(local)} {fmt_time(local)}"


def fmt_weekday(value: date | int, width: str = "wide") -> str:
    if isinstance(value, int):
        value = date(2024, 1, 1 + value)  # 2024-01-01 was a Monday
    name = format_date(value, "EEEE" if width == "wide" else "EEE")
    return name[:1].upper() + name[1:]


def fmt_week(value: date) -> str:
    return _("week %(n)d", n=value.isocalendar().week)


def fmt_money(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    if str(get_locale()) == "sv":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return f"{text} kr"


def fmt_percent(value: float | Decimal | None, digits: int = 0) -> str:
    """A fraction as a percentage the locale's way: "42 %" (with a non-breaking space) in
    Swedish, "42%" in English; "–" for a figure that does not exist (no capacity)."""
    if value is None:
        return "–"
    locale = _number_locale()
    pattern = _with_digits(locale.percent_formats[None].pattern, digits)
    return format_percent(_rounded(value, digits + 2), format=pattern, locale=locale)


def fmt_number(value: float | Decimal | int | None, digits: int = 1) -> str:
    """A number with ``digits`` decimals the locale's way: "1 234,5" in Swedish, "1,234.5" in
    English; "–" for a figure that does not exist."""
    if value is None:
        return "–"
    locale = _number_locale()
    pattern = _with_digits(locale.decimal_formats[None].pattern, digits)
    return format_decimal(_rounded(value, digits), format=pattern, locale=locale)


def _number_locale() -> Locale:
    return get_locale() or Locale.parse("sv")


def _with_digits(pattern: str, digits: int) -> str:
    """The locale's number pattern with exactly ``digits`` decimals ("#,##0.###" → "#,##0.0")."""
    fraction = "." + "0" * digits if digits else ""
    return re.sub(r"([#,0]+)(\.[#0]+)?", lambda m: m.group(1) + fraction, pattern, count=1)


def _rounded(value: float | Decimal | int, places: int) -> Decimal:
    """Half away from zero, as a spreadsheet rounds, from the decimal the value prints as (so
    0.125 shows as 13 %, not 12 % by banker's rounding)."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def local_time(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))


def local_today(timezone: str | None = None) -> date:
    """Today's date where the hub (or, without a zone, the service) is, not on the server's
    clock: between 00.00 and 01.00 Stockholm time a UTC server is still on yesterday."""
    from flask import current_app

    zone = timezone or current_app.config["HUBBAR_DEFAULT_TIMEZONE"]
    return datetime.now(ZoneInfo(zone)).date()
