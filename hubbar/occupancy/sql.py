"""The SQL behind the metrics, written once for SQLite and PostgreSQL.

The two databases differ in a few small ways that matter here: how a JSON array becomes rows,
how a timestamp becomes seconds, the names of the two-argument min and max, and three things
only PostgreSQL has and uses for speed (grouping sets, percentile_disc and a second connection
working at the same time). Everything else is plain SQL with window functions, which both have,
and the tests run it on both.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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


# Settings for the analytic queries, for the rest of the transaction (PostgreSQL): sort and
# hash in memory rather than spilling to disk, and no JIT compilation, which costs more than it
# saves on a few hundred thousand rows.
SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


def run_together(d: Dialect, statements: list[tuple[str, dict]]) -> list[list]:
    """The rows of each statement, the first on the session's connection and, on PostgreSQL,
    the others at the same time on a second connection of the pool: the database then works
    on two cores at once. Each statement sees what was committed when it began, as it would
    one after the other. A transaction that has written (a flush not yet committed) runs them
    all on its own connection, so that they count its own changes."""
    connection = db.session.connection()
    concurrent = not d.sqlite and len(statements) > 1
    if concurrent:
        # NULL while this transaction has no transaction id, i.e. has written nothing.
        written = connection.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar()
        concurrent = written is None
    for setting in SETTINGS if not d.sqlite else ():
        connection.execute(text(setting))
    if not concurrent:
        return [connection.execute(text(sql), params).all() for sql, params in statements]
    engine = db.engine

    def the_others() -> list[list]:
        with engine.connect() as other, other.begin():
            for setting in SETTINGS:
                other.execute(text(setting))
            return [other.execute(text(sql), params).all() for sql, params in statements[1:]]

    with ThreadPoolExecutor(max_workers=1) as pool:
        others = pool.submit(the_others)
        sql, params = statements[0]
        first = connection.execute(text(sql), params).all()
        return [first, *others.result()]


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


def in_period(d: Dialect, orgs: tuple[int, ...] | None, clocks: list[LocalDays], **times) -> str:
    """The bookings whose start falls in the period (and before now) with their local date and
    the ``times`` asked for (name: timestamp expression over ``b``) in epoch seconds: one range
    scan per time zone on (hub_id, starts_at). Each time is converted once: the fences keep
    PostgreSQL from inlining the conversions into every use."""
    times = {"starts": "b.starts_at", **times}
    converted = ", ".join(f"{d.epoch(column)} AS {name}" for name, column in times.items())
    parts = []
    for clock in clocks:
        hubs = ", ".join(str(int(i)) for i in clock.hub_ids)
        parts.append(f"""
            SELECT p.*, {local_day(d, clock, "p.starts")} AS day FROM (
                SELECT b.hub_id AS hub_id, b.desk_id AS desk_id,
                       b.organisation_id AS organisation_id, b.person_id AS user_id,
                       b.status AS status, b.checkin_required AS checkin_required, {converted}
                FROM bookings b
                WHERE b.hub_id IN ({hubs})
                  AND b.starts_at >= {d.timestamp(clock.start)}
                  AND b.starts_at < {d.timestamp(clock.until)} {only(orgs, "b")}
                {d.fence}
            ) p
        """)
    if not parts:  # no hubs: an empty set of the same shape
        return in_period(d, orgs, [LocalDays((0,), ((0, 0),), 0, 0, 0)], **times)
    return " UNION ALL ".join(parts)


# The groups the pieces of booked and used time are summed in (``a`` in booked_figures).
GROUPINGS = {
    "desk": ("hub_id", "desk_id", "day"),
    "stretch": ("day", "off", "bs", "be"),
    "share": ("hub_id", "organisation_id"),
}


def sums(d: Dialect, pieces: str) -> str:
    """The CTE ``a``: the booked and used seconds and the sum of signs (n) of ``pieces`` per
    group of each of GROUPINGS, with the grouping's name in ``k`` and NULL in the columns it
    does not group by. PostgreSQL sums all groupings in one pass over the pieces (GROUPING
    SETS); SQLite, which has no grouping sets, keeps the pieces and groups them once each."""
    columns = ("hub_id", "desk_id", "day", "off", "bs", "be", "organisation_id")
    totals = "SUM(sign * (be - bs)) AS booked, SUM(sign * (ue - us)) AS used, SUM(sign) AS n"
    if not d.sqlite:
        # GROUPING() has one bit per column, the first the highest, set where not grouped.
        def bits(grouped: tuple[str, ...]) -> int:
            return sum(1 << i for i, c in enumerate(reversed(columns)) if c not in grouped)

        names = " ".join(f"WHEN {bits(g)} THEN '{k}'" for k, g in GROUPINGS.items())
        sets = ", ".join(f"({', '.join(g)})" for g in GROUPINGS.values())
        return f"""a AS MATERIALIZED (
            SELECT CASE GROUPING({", ".join(columns)}) {names} END AS k, {", ".join(columns)},
                   {totals}
            FROM ({pieces}) pieces GROUP BY GROUPING SETS ({sets})
        )"""
    selects = " UNION ALL ".join(
        f"SELECT '{k}' AS k, "
        + ", ".join(c if c in g else f"NULL AS {c}" for c in columns)
        + f", {totals} FROM s GROUP BY {', '.join(g)}"
        for k, g in GROUPINGS.items()
    )
    return f"s AS MATERIALIZED ({pieces}), a AS MATERIALIZED ({selects})"


def booked_figures(
    d: Dialect, orgs: tuple[int, ...] | None, hours: list[int], clocks: list[LocalDays]
) -> str:
    """Every figure made of booked and used time, in one statement. ``pieces`` cuts each
    booking's booked and used interval to each window of open time of its local date (windows
    with ``sign`` -1 take away time a desk was not open); ``a`` sums them per desk and date
    (``g``), per booked stretch (``stretches``) and per hub and home organisation.
    The rows returned, by ``kind``:

    - ``hour``: booked seconds per local date and local hour. Summed from the points where
      bookings start and end (a booking from a to b holds min(max(b - h, 0), 1 h) -
      min(max(a - h, 0), 1 h) of the hour that begins at h), grouped first: bookings start and
      end on a few slot times a day, so the hours are computed over thousands of points;
    - ``day``: used seconds per local date;
    - ``desk``: booked and used seconds per hub and desk, and the open days on which the desk
      was booked at all (n);
    - ``share``: booked and used seconds per hub and home organisation;
    - ``peak``: per local date, the most desks booked at one moment (n) and the highest share
      of the desks in service booked at one moment (peak). Events +1/-1 for booked stretches
      and ±n for desks in service are summed in time order, all events at one moment grouped
      into one point, so a booking ending at 12.00 and another starting at 12.00 are never
      counted together.
    """
    times = {
        "occupied": "b.occupied_until",
        "checked_in": "b.checked_in_at",
        "used_end": "COALESCE(b.checked_out_at, b.ends_at)",
    }
    windows = d.windows("windows")
    if d.sqlite:
        # SQLite joins by nested loops only and would read every window for every booking:
        # each window looks up the bookings of its day instead, through (hub_id, starts_at)
        # (a booking lies within the day it starts; the windows end at now).
        epochs = ", ".join(
            f"{d.epoch(column)} AS {name}"
            for name, column in {"starts": "b.starts_at", **times}.items()
        )
        joined = f"""{windows} JOIN (
            SELECT b.hub_id AS hub_id, b.desk_id AS desk_id, b.organisation_id AS organisation_id,
                   b.starts_at AS starts_at, b.occupied_until AS occupied_until, {epochs}
            FROM bookings b
        ) x ON x.hub_id = w.hub_id AND x.starts_at >= w.ds AND x.starts_at < w.we
           AND x.occupied_until > w.ws {only(orgs, "x")}"""
    else:
        x = in_period(d, orgs, clocks, **times)
        joined = f"({x}) x JOIN {windows} ON w.hub_id = x.hub_id AND w.day = x.day"
    bs = d.greatest("x.starts", "w.sep")
    be = d.greatest(d.least("x.occupied", "w.eep"), bs)
    us = d.greatest("x.starts", "x.checked_in", "w.sep")
    ue = d.greatest(d.least("x.used_end", "w.eep"), us)
    hour_rows = " UNION ALL ".join(f"SELECT {h} AS hour, {h * 3600} AS lo" for h in hours)
    hour_rows = hour_rows or "SELECT 0 AS hour, 0 AS lo WHERE 1 = 0"  # no open time at all
    in_hour = d.clamp("p.t - p.off - h.lo", 0, 3600)
    in_service = d.ratio("booked", "in_service")
    pieces = f"""
        SELECT w.hub_id AS hub_id, w.day AS day, w.sign AS sign, w.sep - w.sod AS off,
               x.desk_id AS desk_id, x.organisation_id AS organisation_id,
               {bs} AS bs, {be} AS be,
               CASE WHEN x.checked_in IS NULL THEN 0 ELSE {us} END AS us,
               CASE WHEN x.checked_in IS NULL THEN 0 ELSE {ue} END AS ue
        FROM {joined}
         AND x.starts < w.eep AND x.occupied > w.sep
         AND (w.desk_id IS NULL OR w.desk_id = x.desk_id)
    """
    return f"""
        WITH {sums(d, pieces)},
        g AS (SELECT hub_id, desk_id, day, booked, used FROM a WHERE k = 'desk'),
        stretches AS (SELECT day, off, bs, be, n FROM a WHERE k = 'stretch' AND be > bs),
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
        )
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
            booked="SUM(booked)",
            used="SUM(used)",
            n="SUM(CASE WHEN booked > 0 THEN 1 ELSE 0 END)",
        )
    }
        FROM g GROUP BY hub_id, desk_id
        UNION ALL
        SELECT {
        _row(
            d,
            "share",
            hub_id="hub_id",
            organisation_id="organisation_id",
            booked="booked",
            used="used",
        )
    }
        FROM a WHERE k = 'share'
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
    """


def counted_figures(d: Dialect, orgs: tuple[int, ...] | None, clocks: list[LocalDays]) -> str:
    """Every figure made of counting bookings and people, in one statement that reads the
    bookings once (``x``, with what became of each booking as 0/1 flags, so the counts are
    plain sums). The rows returned, by ``kind``:

    - ``organisation``: the counts of COUNT_COLUMNS per home organisation (they add up to the
      totals), its people and its returning people (booked intervals on two or more local
      dates; a person counts in each organisation they booked as);
    - ``people``: different people and returning people in all;
    - ``lead50``, ``lead90`` (lead time) and ``dur50`` (booked duration): nearest-rank
      percentiles (v), the value at rank ceil(p·n), found by the database (PostgreSQL's
      percentile_disc is exactly that; SQLite has none, so it counts and skips).
    """
    booked = in_period(
        d,
        orgs,
        clocks,
        occupied="b.occupied_until",
        created="b.created_at",
        cancelled="b.cancelled_at",
    )
    before_start = "(status = 'cancelled' AND cancelled <= starts)"

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
    if d.sqlite:

        def rank(values: str, percent: int) -> str:
            offset = d.greatest(f"(COUNT(*) * {percent} + 99) / 100 - 1", "0")
            return (
                f"(SELECT v FROM ({values}) r ORDER BY v"
                f" LIMIT 1 OFFSET (SELECT {offset} FROM ({values}) c))"
            )

        ranks_from = (
            ", leads AS MATERIALIZED (SELECT lead AS v FROM x WHERE lead IS NOT NULL),"
            " durations AS MATERIALIZED (SELECT occupied - starts AS v FROM x WHERE is_visit = 1)"
        )
        ranks = {
            "lead50": rank("SELECT v FROM leads", 50),
            "lead90": rank("SELECT v FROM leads", 90),
            "dur50": rank("SELECT v FROM durations", 50),
        }
    else:
        lead = "WITHIN GROUP (ORDER BY lead)"
        ranks_from = f""", ranks AS MATERIALIZED (SELECT percentile_disc(0.5) {lead} AS lead50,
                                percentile_disc(0.9) {lead} AS lead90,
                                percentile_disc(0.5) WITHIN GROUP (ORDER BY occupied - starts)
                                    FILTER (WHERE is_visit = 1) AS dur50
                         FROM x)"""
        ranks = {name: f"(SELECT {name} FROM ranks)" for name in ("lead50", "lead90", "dur50")}
    percentiles = " ".join(
        f"UNION ALL SELECT {_row(d, kind, v=value)}" for kind, value in ranks.items()
    )
    return f"""
        WITH x AS MATERIALIZED (
            SELECT organisation_id, user_id, day, starts, occupied,
                   CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END AS is_cancelled,
                   CASE WHEN status = 'cancelled' AND cancelled > starts - 7200 THEN 1 ELSE 0
                   END AS is_late,
                   CASE WHEN status = 'released' THEN 1 ELSE 0 END AS is_released,
                   CASE WHEN checkin_required AND NOT {before_start} THEN 1 ELSE 0 END
                       AS needs_checkin,
                   CASE WHEN occupied > starts THEN 1 ELSE 0 END AS is_visit,
                   CASE WHEN {before_start} THEN NULL ELSE {d.greatest("starts - created", "0")}
                   END AS lead
            FROM ({booked}) i
        ),
        people AS MATERIALIZED (
            SELECT organisation_id, user_id, MIN(day) AS first_day, MAX(day) AS last_day
            FROM x WHERE is_visit = 1
            GROUP BY organisation_id, user_id
        ),
        person AS (
            SELECT user_id, MIN(first_day) AS first_day, MAX(last_day) AS last_day
            FROM people GROUP BY user_id
        ){ranks_from}
        SELECT {
        _row(
            d,
            "organisation",
            True,
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
        {percentiles}
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
