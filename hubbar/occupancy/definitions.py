"""The metrics of DESIGN.md "Metrics": key, name, unit and definition, in one place.

Every page, export and API answer that shows a metric takes its name and its definition from
here, so the words beside a number are always the words that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

HOURS = "hours"
FRACTION = "fraction"
COUNT = "count"
DESKS = "desks"


@dataclass(frozen=True)
class Definition:
    key: str
    name: object  # a lazy string
    unit: str
    definition: object  # a lazy string

    @property
    def is_rate(self) -> bool:
        return self.unit == FRACTION


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "capacity_hours",
        _l("Capacity"),
        HOURS,
        _l(
            "Desk-hours the hub was open: over open days and active desks, the opening hours "
            "(lunch closures, holidays and closures excluded), minus time out of service."
        ),
    ),
    Definition(
        "booked_hours",
        _l("Booked desk-hours"),
        HOURS,
        _l(
            "The booked intervals within open time. A booking counts from its start to its end, "
            "to the check-out after an early check-out, to the release of a no-show, or to the "
            "cancellation after start; a booking cancelled before its start counts nothing."
        ),
    ),
    Definition(
        "booking_rate",
        _l("Booking rate"),
        FRACTION,
        _l("Booked desk-hours divided by capacity. Never above 100 %."),
    ),
    Definition(
        "used_hours",
        _l("Used desk-hours"),
        HOURS,
        _l(
            "For checked-in bookings, from the later of start and check-in to the check-out "
            "(or the end), within open time."
        ),
    ),
    Definition(
        "utilisation",
        _l("Utilisation"),
        FRACTION,
        _l("Used desk-hours divided by capacity."),
    ),
    Definition(
        "no_show_rate",
        _l("No-show rate"),
        FRACTION,
        _l(
            "Bookings released because nobody checked in, divided by the bookings that required "
            "check-in, whose start has passed and that were not cancelled before their start."
        ),
    ),
    Definition(
        "cancellation_rate",
        _l("Cancellation rate"),
        FRACTION,
        _l("Of the bookings starting in the period: the share cancelled, at any time."),
    ),
    Definition(
        "late_cancellation_rate",
        _l("Late cancellation rate"),
        FRACTION,
        _l(
            "Of the bookings starting in the period: the share cancelled less than 2 hours "
            "before their start, or after it."
        ),
    ),
    Definition(
        "mean_daily_peak",
        _l("Mean daily peak occupancy"),
        FRACTION,
        _l(
            "Each open day's highest occupancy (desks with a booked interval at that moment "
            "divided by the desks in service then), averaged over the open days."
        ),
    ),
    Definition(
        "max_daily_peak",
        _l("Highest daily peak occupancy"),
        FRACTION,
        _l("The highest daily peak occupancy of any open day in the period."),
    ),
    Definition(
        "desk_day_usage",
        _l("Desk-days used"),
        FRACTION,
        _l("The share of open desk-days (a desk on an open day) with at least one booking."),
    ),
    Definition(
        "lead_time_median_hours",
        _l("Lead time, median"),
        HOURS,
        _l(
            "Time from booking to start, over the bookings starting in the period that were not "
            "cancelled before their start: the median (nearest rank)."
        ),
    ),
    Definition(
        "lead_time_p90_hours",
        _l("Lead time, 90th percentile"),
        HOURS,
        _l(
            "Time from booking to start, over the bookings starting in the period that were not "
            "cancelled before their start: the 90th percentile (nearest rank)."
        ),
    ),
    Definition(
        "mean_duration_hours",
        _l("Mean booking duration"),
        HOURS,
        _l("The mean length of the booked intervals of the bookings starting in the period."),
    ),
    Definition(
        "median_duration_hours",
        _l("Median booking duration"),
        HOURS,
        _l(
            "The median (nearest rank) length of the booked intervals of the bookings starting "
            "in the period."
        ),
    ),
    Definition(
        "bookings",
        _l("Bookings"),
        COUNT,
        _l("Bookings starting in the period, whatever became of them."),
    ),
    Definition(
        "visits",
        _l("Visits"),
        COUNT,
        _l("Bookings starting in the period with a booked interval (not cancelled before start)."),
    ),
    Definition(
        "unique_users",
        _l("Unique users"),
        COUNT,
        _l("Different people with a booked interval starting in the period."),
    ),
    Definition(
        "returning_users",
        _l("Returning users"),
        COUNT,
        _l("People with booked intervals on at least two different days of the period."),
    ),
    Definition(
        "visits_per_user",
        _l("Visits per user"),
        COUNT,
        _l("Visits divided by unique users."),
    ),
    Definition(
        "cross_org_share",
        _l("Cross-organisation share"),
        FRACTION,
        _l(
            "Booked desk-hours by people whose home organisation is not the hub's host, divided "
            "by all booked desk-hours."
        ),
    ),
    Definition(
        "demand_misses",
        _l("Unmet demand"),
        COUNT,
        _l(
            "Searches and booking attempts for a time in the period that found no free desk "
            "(repeated attempts by one organisation for one window within 10 minutes count once)."
        ),
    ),
    Definition(
        "turned_away_rate",
        _l("Turned-away rate"),
        FRACTION,
        _l("Unmet demand divided by unmet demand plus bookings."),
    ),
    Definition(
        "desks_needed",
        _l("Desks needed"),
        DESKS,
        _l(
            "For each open day, the highest number of desks booked at the same time plus that "
            "day's unmet demand; the 95th percentile (nearest rank) of that over the open days."
        ),
    ),
)

# The satisfaction figures come from visit feedback (hubbar.occupancy.feedback), not from an
# Occupancy: they are kept apart from DEFINITIONS, which the dashboard, the API and the exports
# read off an Occupancy, and resolve by key like every other metric.
SATISFACTION_DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "mean_rating",
        _l("Mean rating"),
        COUNT,
        _l(
            "The mean of the ratings (1 = very poor, 5 = very good) given in feedback on the "
            "visits starting in the period."
        ),
    ),
    Definition(
        "feedback_response_rate",
        _l("Feedback response rate"),
        FRACTION,
        _l(
            "Visits with feedback, divided by the visits starting in the period that were "
            'checked in and are over. A "no thanks" is not a response.'
        ),
    ),
    Definition(
        "travel_replaced_share",
        _l("Visits that replaced travel"),
        FRACTION,
        _l(
            "Of the feedback that says what the visitor would have done otherwise: the share "
            "who would have travelled to their regular workplace."
        ),
    ),
    Definition(
        "minutes_saved",
        _l("Travel time saved (minutes)"),
        COUNT,
        _l(
            "The travel minutes visitors say a visit saved them, added up over the feedback "
            "that gives a number."
        ),
    ),
)

BY_KEY = {d.key: d for d in (*DEFINITIONS, *SATISFACTION_DEFINITIONS)}

# The key figures of the dashboard, in the order the issue lists them.
KEY_FIGURES = (
    "booking_rate",
    "utilisation",
    "no_show_rate",
    "mean_daily_peak",
    "max_daily_peak",
    "unique_users",
    "cross_org_share",
    "demand_misses",
    "desks_needed",
)
