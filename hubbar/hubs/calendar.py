"""Open days and opening hours of a hub: weekly hours, Swedish holidays and the hub's closures.

Swedish closed days come from the ``holidays`` package (DESIGN.md "Closed days"): public holidays
and the de-facto ones (Midsommarafton, Julafton, Nyårsafton, …). Days before some holidays close
at 14.00 (the package's "bank" category) when the hub says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

from hubbar.hubs.models import Hub

EARLY_CLOSING = time(14, 0)
# The package's names of eves end in "(från kl. 14.00)" / "(from 2pm)"; the page says the time.
EARLY_SUFFIX = re.compile(r"\s*\((från kl\. 14\.00|from 2pm)\)$")
HOLIDAY_LANGUAGES = {"sv": "sv", "en": "en_US"}


@lru_cache(maxsize=64)
def _holidays(years: tuple[int, ...], categories: tuple[str, ...], language: str):
    return holidays.Sweden(
        years=years, include_sundays=False, categories=categories, language=language
    )


EVES = {  # eves DESIGN.md names that the package leaves out (they fall on Saturdays)
    "sv": ("Påskafton", "Pingstafton"),
    "en": ("Easter Eve", "Whitsun Eve"),
}


def closed_holidays(d0: date, d1: date, locale: str = "sv") -> dict[date, str]:
    """Swedish public and de-facto holidays between d0 and d1, with their names: the legal
    holidays plus Midsommarafton, Julafton, Nyårsafton, Påskafton and Pingstafton."""
    years = tuple(range(d0.year, d1.year + 1))
    found = dict(_holidays(years, ("public", "de_facto"), HOLIDAY_LANGUAGES.get(locale, "sv")))
    easter_eve_name, whitsun_eve_name = EVES.get(locale, EVES["sv"])
    for year in years:
        easter_sunday = easter(year)
        found.setdefault(easter_sunday - timedelta(days=1), easter_eve_name)
        found.setdefault(easter_sunday + timedelta(days=48), whitsun_eve_name)
    return {day: name for day, name in found.items() if d0 <= day <= d1}


def early_closing_days(d0: date, d1: date, locale: str = "sv") -> dict[date, str]:
    """Days before holidays that close at 14.00, with their names (not the holidays themselves)."""
    years = tuple(range(d0.year, d1.year + 1))
    language = HOLIDAY_LANGUAGES.get(locale, "sv")
    bank = _holidays(years, ("bank",), language)
    closed = _holidays(years, ("public", "de_facto"), language)
    return {
        day: EARLY_SUFFIX.sub("", name)
        for day, name in bank.items()
        if d0 <= day <= d1 and day not in closed
    }


@dataclass(frozen=True)
class DaySchedule:
    """One local date at a hub: open from ``opens`` to ``closes``, or closed and why; closed
    for lunch from ``break_starts`` to ``break_ends`` when the hub takes a break that day."""

    day: date
    opens: time | None
    closes: time | None
    holiday: str | None = None
    closure: str | None = None
    early_closing: str | None = None
    break_starts: time | None = None
    break_ends: time | None = None

    @property
    def is_open(self) -> bool:
        return self.opens is not None

    @property
    def has_break(self) -> bool:
        return self.is_open and self.break_starts is not None and self.break_ends is not None

    @property
    def iso_week(self) -> int:
        return self.day.isocalendar().week

    def interval(self, timezone: str) -> tuple[datetime, datetime] | None:
        """The whole day from opening to closing as aware datetimes in the hub's zone
        (DST-safe wall-clock times), lunch break included."""
        if not self.is_open:
            return None
        zone = ZoneInfo(timezone)
        return (
            datetime.combine(self.day, self.opens, tzinfo=zone),
            datetime.combine(self.day, self.closes, tzinfo=zone),
        )

    def break_interval(self, timezone: str) -> tuple[datetime, datetime] | None:
        """The lunch break as aware datetimes in the hub's zone, or None."""
        if not self.has_break:
            return None
        zone = ZoneInfo(timezone)
        return (
            datetime.combine(self.day, self.break_starts, tzinfo=zone),
            datetime.combine(self.day, self.break_ends, tzinfo=zone),
        )

    def open_intervals(self, timezone: str) -> list[tuple[datetime, datetime]]:
        """The open time of the day as aware datetimes in the hub's zone: none on a closed
        day, two around a lunch break, else one."""
        whole = self.interval(timezone)
        if whole is None:
            return []
        lunch = self.break_interval(timezone)
        if lunch is None:
            return [whole]
        return [(whole[0], lunch[0]), (lunch[1], whole[1])]


def hub_days(hub: Hub, d0: date, d1: date, locale: str = "sv") -> list[DaySchedule]:
    """The schedule of every local date from d0 to d1 inclusive."""
    weekly = {row.weekday: row for row in hub.opening_hours}
    public = closed_holidays(d0, d1, locale)
    early = early_closing_days(d0, d1, locale) if hub.close_early_before_holidays else {}
    days = []
    day = d0
    while day <= d1:
        closure = next((c for c in hub.closures if c.covers(day)), None)
        hours = weekly.get(day.weekday())
        holiday = public.get(day)
        if closure is not None or holiday is not None or hours is None:
            days.append(
                DaySchedule(day, None, None, holiday=holiday, closure=closure and closure.reason)
            )
        else:
            closes = hours.closes
            early_name = early.get(day)
            if early_name and closes > EARLY_CLOSING > hours.opens:
                closes = EARLY_CLOSING
            else:
                early_name = None
            break_starts, break_ends = hours.break_starts, hours.break_ends
            if break_starts is not None and break_ends is not None and break_ends >= closes:
                # An early closing cuts the day: a break that begins at or after the new closing
                # time is gone; one that runs past it closes the day at the break's start.
                if break_starts < closes:
                    closes = break_starts
                break_starts = break_ends = None
            days.append(
                DaySchedule(
                    day,
                    hours.opens,
                    closes,
                    early_closing=early_name,
                    break_starts=break_starts,
                    break_ends=break_ends,
                )
            )
        day += timedelta(days=1)
    return days


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week that holds ``day`` (Swedish weeks start on Monday)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def exists_on_wall_clock(moment: datetime) -> bool:
    """False for a wall-clock time the zone skips (02.30 on the night clocks go forward)."""
    round_trip = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return round_trip.replace(tzinfo=None) == moment.replace(tzinfo=None)
