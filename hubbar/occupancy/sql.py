"""The SQL behind the metrics, written once for SQLite and PostgreSQL.

The two databases differ in three small ways that matter here: how a JSON array becomes rows,
how a timestamp becomes seconds, and the names of the two-argument min and max. Everything else
is plain SQL with window functions, which both have.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from hubbar.extensions import db
from hubbar.occupancy.calendar import LocalDays


class Dialect:
    def __init__(self, name: str):
        self.name = name
        self.sqlite = name == "sqlite"

    def epoch(self, column: str) -> str:
        if self.sqlite:
            return f"CAST(strftime('%s', {column}) AS INTEGER)"
        # date_part is double precision; extract() would be numeric, several times slower.
        return f"CAST(floor(date_part('epoch', {column})) AS BIGINT)"

    def greatest(self, *args: str) -> str:
        # Beware NULL: SQLite's max() answers NULL if any argument is, GREATEST ignores it.
        # Every nullable argument here is guarded by a CASE first.
        return f"{'max' if self.sqlite else 'GREATEST'}({', '.join(args)})"

    def least(self, *args: str) -> str:
        return f"{'min' if self.sqlite else 'LEAST'}({', '.join(args)})"

    def timestamp(self, seconds: int) -> str:
        """A literal UTC time, comparable with a timestamp column through its index."""
        moment = datetime.fromtimestamp(seconds, UTC)
        if self.sqlite:
            return f"'{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        return f"TIMESTAMPTZ '{moment.isoformat()}'"

    @property
    def fence(self) -> str:
        """Ends a subquery that PostgreSQL must compute once per row instead of inlining its
        expressions into every place that names its columns."""
        return "" if self.sqlite else "OFFSET 0"

    def null(self, sql_type: str) -> str:
        """A typed NULL: PostgreSQL types the columns of a UNION from its first rows."""
        return "NULL" if self.sqlite else f"CAST(NULL AS {sql_type})"

    def clamp(self, value: str, low: int, high: int) -> str:
        return self.least(self.greatest(value, str(low)), str(high))

    def ratio(self, numerator: str, denominator: str) -> str:
        return f"(({numerator}) * 1.0 / ({denominator}))"

    def join(self, table: str, alias: str, condition: str) -> str:
        """Join ``table`` row by row of the calendar through its index. PostgreSQL's planner
        cannot see inside the JSON rows and would hash-join the whole table; LATERAL makes it
        look up each window's bookings by (hub_id, starts_at). SQLite always joins this way."""
        if self.sqlite:
            return f"JOIN {table} {alias} ON {condition}"
        # OFFSET 0 keeps the planner from flattening the subquery back into a hash join.
        return (
            f"CROSS JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {condition} OFFSET 0) {alias}"
        )

    def windows(self, param: str) -> str:
        """Rows of the open-time windows handed over as JSON (see calendar.windows_json)."""
        if self.sqlite:
            return (
                "(SELECT json_extract(value, '$.hub_id') AS hub_id,"
                " json_extract(value, '$.desk_id') AS desk_id,"
                " json_extract(value, '$.day') AS day,"
                " json_extract(value, '$.ds') AS ds,"
                " json_extract(value, '$.ws') AS ws,"
                " json_extract(value, '$.we') AS we,"
                " json_extract(value, '$.sep') AS sep,"
                " json_extract(value, '$.eep') AS eep,"
                " json_extract(value, '$.sod') AS sod,"
                f" json_extract(value, '$.sign') AS sign FROM json_each(:{param})) AS w"
            )
        return (
            f"json_to_recordset(CAST(:{param} AS json)) AS w(hub_id int, desk_id int, day int,"
            " ds timestamptz, ws timestamptz, we timestamptz, sep bigint, eep bigint, sod int,"
            " sign int)"
        )

    def days(self, param: str) -> str:
        if self.sqlite:
            return (
                "(SELECT json_extract(value, '$.hub_id') AS hub_id,"
                " json_extract(value, '$.day') AS day,"
                " json_extract(value, '$.ds') AS ds,"
                f" json_extract(value, '$.de') AS de FROM json_each(:{param})) AS t"
            )
        return (
            f"json_to_recordset(CAST(:{param} AS json))"
            " AS t(hub_id int, day int, ds timestamptz, de timestamptz)"
        )

    def events(self, param: str) -> str:
        if self.sqlite:
            return (
                "(SELECT json_extract(value, '$.day') AS day, json_extract(value, '$.t') AS t,"
                " json_extract(value, '$.off') AS off,"
                f" json_extract(value, '$.dd') AS dd FROM json_each(:{param})) AS e"
            )
        return (
            f"json_to_recordset(CAST(:{param} AS json)) AS e(day int, t bigint, off bigint, dd int)"
        )


def dialect() -> Dialect:
    return Dialect(db.session.get_bind().dialect.name)


def run(sql: str, **params):
    return db.session.execute(text(sql), params).all()


def prepare(d: Dialect) -> None:
    """Settings for the analytic queries, for the rest of the transaction (PostgreSQL): sort
    and hash in memory rather than spilling to disk, and no JIT compilation, which costs more
    than it saves on a few hundred thousand rows."""
    if not d.sqlite:
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


def only(orgs: tuple[int, ...] | None, alias: str) -> str:
    """A join condition keeping one set of home organisations (ids are integers, inlined)."""
    if orgs is None:
        return ""
    ids = ", ".join(str(int(i)) for i in orgs) or "NULL"
    return f"AND {alias}.organisation_id IN ({ids})"


COUNT_COLUMNS = (
    "bookings",
    "cancelled",
    "late_cancelled",
    "released",
    "checkin_base",
    "visits",
    "duration",
    "lead_1h",
    "lead_1d",
    "lead_3d",
    "lead_7d",
    "lead_more",
)
# The columns of every row the figures statement returns, with their PostgreSQL types (a
# UNION takes its column types from its first rows, so the first rows name them).
COLUMNS = (
    ("kind", None),
    ("day", "INTEGER"),
    ("hour", "INTEGER"),
    ("hub_id", "INTEGER"),
    ("desk_id", "INTEGER"),
    ("organisation_id", "INTEGER"),
    ("booked", "BIGINT"),
    ("used", "BIGINT"),
    ("n", "BIGINT"),
    ("peak", "DOUBLE PRECISION"),
    *((name, "BIGINT") for name in COUNT_COLUMNS),
    ("users", "BIGINT"),
    ("returners", "BIGINT"),
    ("v", "BIGINT"),
)


def _row(d: Dialect, kind: str, first: bool = False, **values: str) -> str:
    """The SELECT list of one kind of row: its values, NULL (typed in the first rows) for the
    rest."""
    unknown = set(values) - {name for name, _type in COLUMNS}
    assert not unknown, unknown
    items = [f"'{kind}' AS kind"]
    for name, sql_type in COLUMNS[1:]:
        value = values.get(name)
        if value is None:
            value = d.null(sql_type) if first else "NULL"
        items.append(f"{value} AS {name}" if first else value)
    return ", ".join(items)


def local_day(d: Dialect, clock: LocalDays, seconds: str) -> str:
    """The number of the local date (0 = the period's first) of an epoch second."""
    offsets = clock.offsets
    offset = str(offsets[-1][1])
    if len(offsets) > 1:
        cases = " ".join(
            f"WHEN {seconds} < {t} THEN {o}"
            for (_t, o), (t, _o) in zip(offsets, offsets[1:], strict=False)
        )
        offset = f"CASE {cases} ELSE {offset} END"
    return f"(({seconds} + {offset} - {clock.base}) / 86400)"


def started(d: Dialect, orgs: tuple[int, ...] | None, clocks: list[LocalDays]) -> str:
    """The bookings whose start falls in the period (and before now) with their local date,
    their times in epoch seconds and what became of them as 0/1 flags (so the counts are
    plain sums): one range scan per time zone on (hub_id, starts_at). Each time is converted
    once: the fences keep PostgreSQL from inlining the conversions into every use."""
    parts = []
    for clock in clocks:
        hubs = ", ".join(str(int(i)) for i in clock.hub_ids)
        parts.append(f"""
            SELECT p.*, {local_day(d, clock, "p.starts")} AS day FROM (
                SELECT b.hub_id AS hub_id, b.desk_id AS desk_id,
                       b.organisation_id AS organisation_id, b.user_id AS user_id,
                       b.status AS status, b.checkin_required AS checkin_required,
                       {d.epoch("b.starts_at")} AS starts,
                       {d.epoch("b.occupied_until")} AS occupied,
                       {d.epoch("b.created_at")} AS created,
                       {d.epoch("b.cancelled_at")} AS cancelled,
                       {d.epoch("b.checked_in_at")} AS checked_in,
                       {d.epoch("COALESCE(b.checked_out_at, b.ends_at)")} AS used_end
                FROM bookings b
                WHERE b.hub_id IN ({hubs})
                  AND b.starts_at >= {d.timestamp(clock.start)}
                  AND b.starts_at < {d.timestamp(clock.until)} {only(orgs, "b")}
                {d.fence}
            ) p
        """)
    if not parts:  # no hubs: an empty set of the same shape
        return started(d, orgs, [LocalDays((0,), ((0, 0),), 0, 0, 0)])
    before_start = "(status = 'cancelled' AND cancelled <= starts)"
    return f"""
        SELECT hub_id, desk_id, organisation_id, user_id, day, starts, occupied, checked_in,
               used_end,
               CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END AS is_cancelled,
               CASE WHEN status = 'cancelled' AND cancelled > starts - 7200 THEN 1 ELSE 0 END
                   AS is_late,
               CASE WHEN status = 'released' THEN 1 ELSE 0 END AS is_released,
               CASE WHEN checkin_required AND NOT {before_start} THEN 1 ELSE 0 END
                   AS needs_checkin,
               CASE WHEN occupied > starts THEN 1 ELSE 0 END AS is_visit,
               CASE WHEN {before_start} THEN NULL ELSE {d.greatest("starts - created", "0")} END
                   AS lead
        FROM ({" UNION ALL ".join(parts)} {d.fence}) i
    """


def figures(
    d: Dialect, orgs: tuple[int, ...] | None, hours: list[int], clocks: list[LocalDays]
) -> str:
    """Every figure made of the bookings, in one statement, so that they are read once:

    ``x`` holds the bookings whose start falls in the period (and before now), with their local
    date and their times in seconds; ``s`` cuts each one's booked and used interval to each
    window of open time of its date (windows with ``sign`` -1 take away time a desk was not
    open). The rows returned, by ``kind``:

    - ``hour``: booked seconds per local date and local hour. Summed from the points where
      bookings start and end (a booking from a to b holds min(max(b - h, 0), 1 h) -
      min(max(a - h, 0), 1 h) of the hour that begins at h), grouped first: bookings start and
      end on a few slot times a day, so the hours are computed over thousands of points;
    - ``day``: used seconds per local date;
    - ``desk``: booked and used seconds per hub, desk and home organisation (from ``g``,
      the segments summed per desk, organisation and date);
    - ``deskday``: per desk, the open days on which it was booked at all (n);
    - ``peak``: per local date, the most desks booked at one moment (n) and the highest share
      of the desks in service booked at one moment (peak). Events +1/-1 for booked stretches
      and ±n for desks in service are summed in time order, all events at one moment grouped
      into one point, so a booking ending at 12.00 and another starting at 12.00 are never
      counted together;
    - ``organisation``: the counts of COUNT_COLUMNS per home organisation (they add up to the
      totals), its people and its returning people (booked intervals on two or more local
      dates; a person counts in each organisation they booked as);
    - ``people``: different people and returning people in all;
    - ``lead50``, ``lead90`` (lead time) and ``dur50`` (booked duration): nearest-rank
      percentiles (v), the value at rank ceil(p·n), found by the database.
    """

    def counted(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    counts = {
        "bookings": "COUNT(*)",
        "cancelled": "SUM(is_cancelled)",
        "late_cancelled": "SUM(is_late)",
        "released": "SUM(is_released)",
        "checkin_base": "SUM(needs_checkin)",
        "visits": "SUM(is_visit)",
        "duration": "SUM(occupied - starts)",  # nothing for a booking cancelled before start
    }
    bounds = (("lead_1h", 0, 3600), ("lead_1d", 3600, 86400), ("lead_3d", 86400, 259200))
    bounds += (("lead_7d", 259200, 604800), ("lead_more", 604800, None))
    for name, low, high in bounds:
        upper = f" AND lead < {high}" if high else ""
        counts[name] = counted(f"lead >= {low}{upper}")
    assert tuple(counts) == COUNT_COLUMNS
    count_sums = ", ".join(f"{expression} AS {name}" for name, expression in counts.items())

    def rank(values: str, percent: int) -> str:
        offset = d.greatest(f"(COUNT(*) * {percent} + 99) / 100 - 1", "0")
        return f"(SELECT v FROM {values} ORDER BY v LIMIT 1 OFFSET (SELECT {offset} FROM {values}))"

    bs = d.greatest("x.starts", "w.sep")
    be = d.greatest(d.least("x.occupied", "w.eep"), bs)
    us = d.greatest("x.starts", "x.checked_in", "w.sep")
    ue = d.greatest(d.least("x.used_end", "w.eep"), us)
    hour_rows = " UNION ALL ".join(f"SELECT {h} AS hour, {h * 3600} AS lo" for h in hours)
    hour_rows = hour_rows or "SELECT 0 AS hour, 0 AS lo WHERE 1 = 0"  # no open time at all
    in_hour = d.clamp("p.t - p.off - h.lo", 0, 3600)
    in_service = d.ratio("booked", "in_service")
    return f"""
        WITH x AS MATERIALIZED ({started(d, orgs, clocks)}),
        s AS MATERIALIZED (
            SELECT w.hub_id AS hub_id, w.day AS day, w.sign AS sign, w.sod AS sod,
                   w.sep AS sep, x.desk_id AS desk_id, x.organisation_id AS organisation_id,
                   {bs} AS bs, {be} AS be,
                   CASE WHEN x.checked_in IS NULL THEN 0 ELSE {us} END AS us,
                   CASE WHEN x.checked_in IS NULL THEN 0 ELSE {ue} END AS ue
            FROM x JOIN {d.windows("windows")}
              ON w.hub_id = x.hub_id AND w.day = x.day
             AND x.starts < w.eep AND x.occupied > w.sep
             AND (w.desk_id IS NULL OR w.desk_id = x.desk_id)
        ),
        g AS MATERIALIZED (
            SELECT hub_id, desk_id, organisation_id, day,
                   SUM(sign * (be - bs)) AS booked, SUM(sign * (ue - us)) AS used
            FROM s GROUP BY hub_id, desk_id, organisation_id, day
        ),
        stretches AS MATERIALIZED (
            SELECT day, sep - sod AS off, bs, be, SUM(sign) AS n
            FROM s WHERE be > bs GROUP BY day, sep - sod, bs, be
        ),
        points AS MATERIALIZED (
            SELECT day, off, t, SUM(dn) AS dn, SUM(dd) AS dd FROM (
                SELECT day, off, bs AS t, n AS dn, 0 AS dd FROM stretches
                UNION ALL
                SELECT day, off, be AS t, -n AS dn, 0 AS dd FROM stretches
                UNION ALL
                SELECT day, off, t, 0 AS dn, dd FROM {d.events("events")}
            ) ev GROUP BY day, off, t
        ),
        running AS (
            SELECT day,
                   SUM(dn) OVER (PARTITION BY day ORDER BY t) AS booked,
                   SUM(dd) OVER (PARTITION BY day ORDER BY t) AS in_service
            FROM points
        ),
        people AS MATERIALIZED (
            SELECT organisation_id, user_id, MIN(day) AS first_day, MAX(day) AS last_day
            FROM x WHERE is_visit = 1 AND user_id IS NOT NULL
            GROUP BY organisation_id, user_id
        ),
        person AS (
            SELECT user_id, MIN(first_day) AS first_day, MAX(last_day) AS last_day
            FROM people GROUP BY user_id
        ),
        leads AS MATERIALIZED (SELECT lead AS v FROM x WHERE lead IS NOT NULL),
        durations AS MATERIALIZED (SELECT occupied - starts AS v FROM x WHERE is_visit = 1)
        SELECT {_row(d, "hour", True, day="p.day", hour="h.hour", booked=f"SUM(-p.dn * {in_hour})")}
        FROM points p CROSS JOIN ({hour_rows}) h
        WHERE p.dn <> 0
        GROUP BY p.day, h.hour
        UNION ALL
        SELECT {_row(d, "day", day="day", used="SUM(used)")}
        FROM g GROUP BY day
        UNION ALL
        SELECT {
        _row(
            d,
            "desk",
            hub_id="hub_id",
            desk_id="desk_id",
            organisation_id="organisation_id",
            booked="SUM(booked)",
            used="SUM(used)",
        )
    }
        FROM g GROUP BY hub_id, desk_id, organisation_id
        UNION ALL
        SELECT {_row(d, "deskday", desk_id="desk_id", n="COUNT(*)")}
        FROM (
            SELECT desk_id, day FROM g GROUP BY desk_id, day HAVING SUM(booked) > 0
        ) dd GROUP BY desk_id
        UNION ALL
        SELECT {
        _row(
            d,
            "peak",
            day="day",
            n="MAX(booked)",
            peak=f"MAX(CASE WHEN in_service > 0 THEN {in_service} END)",
        )
    }
        FROM running GROUP BY day
        UNION ALL
        SELECT {
        _row(
            d,
            "organisation",
            organisation_id="c.organisation_id",
            users="COALESCE(r.users, 0)",
            returners="COALESCE(r.returners, 0)",
            **{name: f"c.{name}" for name in COUNT_COLUMNS},
        )
    }
        FROM (SELECT organisation_id, {count_sums} FROM x GROUP BY organisation_id) c
        LEFT JOIN (
            SELECT organisation_id, COUNT(*) AS users,
                   SUM(CASE WHEN first_day < last_day THEN 1 ELSE 0 END) AS returners
            FROM people GROUP BY organisation_id
        ) r ON r.organisation_id = c.organisation_id
        UNION ALL
        SELECT {
        _row(
            d,
            "people",
            users="(SELECT COUNT(*) FROM person)",
            returners="(SELECT COUNT(*) FROM person WHERE first_day < last_day)",
        )
    }
        UNION ALL SELECT {_row(d, "lead50", v=rank("leads", 50))}
        UNION ALL SELECT {_row(d, "lead90", v=rank("leads", 90))}
        UNION ALL SELECT {_row(d, "dur50", v=rank("durations", 50))}
    """


def booked_in_windows(d: Dialect) -> str:
    """Booked seconds within some windows of open time (the today view's rest of the day),
    through the (hub_id, starts_at) index: a booking lies within the day it starts."""
    starts, occupied = d.epoch("b.starts_at"), d.epoch("b.occupied_until")
    bs = d.greatest(starts, "w.sep")
    on = (
        "b.hub_id = w.hub_id AND b.starts_at >= w.ds AND b.starts_at < w.we"
        " AND b.occupied_until > w.ws AND (w.desk_id IS NULL OR b.desk_id = w.desk_id)"
    )
    return f"""
        SELECT COALESCE(SUM(w.sign * ({d.greatest(d.least(occupied, "w.eep"), bs)} - {bs})), 0)
        FROM {d.windows("windows")}
        {d.join("bookings", "b", on)}
    """


def demand_misses(d: Dialect, orgs: tuple[int, ...] | None) -> str:
    """Demand misses whose wanted start falls in the period, per local date and organisation."""
    on = "m.hub_id = t.hub_id AND m.wanted_start >= t.ds AND m.wanted_start < t.de " + only(
        orgs, "m"
    )
    return f"""
        SELECT t.day AS day, m.organisation_id AS organisation_id, COUNT(*) AS misses
        FROM {d.days("days")}
        {d.join("demand_misses", "m", on)}
        GROUP BY t.day, m.organisation_id
    """
