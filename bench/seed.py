"""Bulk-load a city of hubs into a fresh database, for the city-scale benchmark (issue 9).

Not a test and not demo data: it writes straight into the tables (COPY on PostgreSQL), as
many rows as a county's network would hold, and a manifest of who may do what for the
measuring client (bench/client.py).

    python bench/seed.py --scale S        # PostgreSQL at 127.0.0.1:5432, database hubbar_bench_s
    python bench/seed.py --scale M --url postgresql+psycopg://postgres@127.0.0.1:5432/big
    python bench/seed.py --scale tiny --url sqlite:////tmp/tiny.sqlite3

Scales (Seatsurfing's perftest shape: organisations × users × desks × bookings per
organisation, five hubs per organisation):

    tiny   2 ×    50 ×   10 ×     200     (the test suite's)
    S      5 ×   100 ×   50 ×   2,000     (10,000 bookings)
    M     20 × 1,000 ×  500 ×  50,000     (1 M)
    L    100 × 1,000 ×  500 × 200,000     (20 M)

Every scale has the same density, 0.4 bookings per desk and open day, so a bigger scale
covers more hubs and a longer history rather than fuller days: a query for one hub over 30
days reads the same number of rows at M and at L. About 15 open days lie ahead of today
(confirmed bookings, some cancelled); the rest are history with check-ins, early
check-outs, released no-shows and cancellations before and after the start, and a
search now and then that found no desk. Half the hubs are open 08–17 with lunch closed
12–13, the others 07–18; each admits the next organisation as a guest, whose staff make
15 % of its bookings. Nobody holds two desks at once and no desk is booked twice at once:
the database's exclusion constraints are built after the load and would refuse the data
otherwise. Each organisation's last 16 users book nothing: the client's writers.

One pilot (two months that ended last month, one hub, the host organisation's staff as
participants, criteria and feedback) is reported by hubbar's own report operation.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import tempfile
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "hubbar-bench"
HUBS_PER_ORGANISATION = 5
DENSITY = 0.4  # bookings per desk and open day
FUTURE_OPEN_DAYS = 15
GUEST_SHARE = 0.15
WRITERS_PER_ORGANISATION = 16
EMPLOYEES_IN_MANIFEST = 200
FREE_SLOTS_IN_MANIFEST = 6000
ZONE = ZoneInfo("Europe/Stockholm")
TOKEN_PREFIX = "hubbar_bench_"
# Busier mid-week, as in every hub we know of.
WEEKDAY_WEIGHT = (0.8, 1.15, 1.2, 1.1, 0.75)
# Opening hours of the two kinds of hub, and each one's morning and afternoon stretch.
HOURS = (
    {"opens": time(8), "closes": time(17), "break": (time(12), time(13))},
    {"opens": time(7), "closes": time(18), "break": None},
)
STRETCHES = (
    ((time(8), time(12)), (time(13), time(17))),
    ((time(7), time(12, 30)), (time(12, 30), time(18))),
)
FIRST_NAMES = (
    "Anna", "Erik", "Maria", "Lars", "Karin", "Per", "Lena", "Johan", "Sara", "Anders", "Eva",
    "Mikael", "Emma", "Fredrik", "Ida", "Jonas", "Elin", "Olof", "Maja", "Ali", "Fatima", "Hanna",
    "Nils", "Amira", "Oskar", "Linnea", "Mehmet", "Sofia", "Tove", "Arvid",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson",
    "Lindberg", "Lindqvist", "Berg", "Holm", "Ekström", "Yilmaz", "Hassan", "Nyström", "Lund",
    "Sandberg", "Åberg", "Öberg",
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    organisations: int
    users: int  # per organisation
    desks: int  # per organisation
    bookings: int  # per organisation

    @property
    def open_days(self) -> int:
        return math.ceil(self.bookings / self.desks / DENSITY)


SCALES = {
    "tiny": Scale(2, 50, 10, 200),
    "S": Scale(5, 100, 50, 2_000),
    "M": Scale(20, 1_000, 500, 50_000),
    "L": Scale(100, 1_000, 500, 200_000),
}


def default_url(scale: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/hubbar_bench_{scale.lower()}"


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def token_for(user_id: int) -> str:
    return f"{TOKEN_PREFIX}{user_id}"


def open_days(today: date, count: int) -> list[date]:
    """``count`` weekdays that are not Swedish public holidays, the last FUTURE_OPEN_DAYS of
    them from tomorrow on, the others up to yesterday."""
    from hubbar.hubs.calendar import closed_holidays

    holidays = closed_holidays(today - timedelta(days=count * 2 + 30), today + timedelta(days=60))

    def is_open(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    ahead, day = [], today
    while len(ahead) < FUTURE_OPEN_DAYS:
        day += timedelta(days=1)
        if is_open(day):
            ahead.append(day)
    past, day = [], today
    while len(past) < count - FUTURE_OPEN_DAYS:
        day -= timedelta(days=1)
        if is_open(day):
            past.append(day)
    return sorted(past) + ahead


class Table:
    """Rows for one table, written with COPY on PostgreSQL and executemany on SQLite."""

    def __init__(self, name: str, columns: list[str]):
        self.name, self.columns, self.rows = name, columns, []

    def add(self, *values) -> None:
        self.rows.append(values)


def copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load(conn, table: Table) -> None:
    """Write the table's rows and forget them."""
    if not table.rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        columns = ", ".join(table.columns)
        with raw.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, row in enumerate(table.rows, 1):
                buffer.write("\t".join(map(copy_value, row)))
                buffer.write("\n")
                if n % 20_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    else:
        columns = ", ".join(table.columns)
        marks = ", ".join("?" for _ in table.columns)
        rows = [
            tuple(
                v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v
                for v in row
            )
            for row in table.rows
        ]
        conn.connection.driver_connection.executemany(
            f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows
        )
    table.rows = []


def set_sequences(conn, tables: list[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for name in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
            )
        )


class Detached:
    """Drops the bookings' constraints and indexes (PostgreSQL) for the load and builds them
    again afterwards: one pass each instead of one check per row. Building the exclusion
    constraints again proves that the data has no overlapping bookings."""

    TABLES = ("bookings", "booking_events")

    def __init__(self, conn):
        self.conn = conn
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self):
        if self.conn.dialect.name != "postgresql":
            return self
        for table in self.TABLES:
            self.constraints += self.conn.execute(
                text(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype <> 'p' "
                    "ORDER BY contype = 'x', conname"
                ),
                {"t": table},
            ).all()
            self.indexes += self.conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass))"
                ),
                {"t": table},
            ).scalars()
        for table, name, _definition in reversed(self.constraints):
            self.conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for definition in self.indexes:
            name = definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
            self.conn.execute(text(f"DROP INDEX {name}"))
        return self

    def __exit__(self, kind, error, trace):
        if kind is not None or self.conn.dialect.name != "postgresql":
            return
        self.conn.execute(text("SET maintenance_work_mem = '1GB'"))
        for definition in self.indexes:
            self.conn.execute(text(definition))
        for table, name, definition in self.constraints:
            self.conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZONE).astimezone(UTC)


def fate(row: dict, rng: random.Random, now: datetime) -> list[tuple[str, datetime]]:
    """Set a booking's status and times as life would have; return its later events."""
    starts, ends = row["starts_at"], row["ends_at"]
    if starts > now:
        if rng.random() < 0.1:
            cancelled = row["created_at"] + (now - row["created_at"]) * rng.random()
            row.update(status="cancelled", cancelled_at=cancelled, occupied_until=starts)
            return [("cancelled", cancelled)]
        return []
    roll = rng.random()
    if roll < 0.08:
        row.update(status="released", released_at=starts + timedelta(minutes=30))
        row["occupied_until"] = row["released_at"]
        return [("released", row["released_at"])]
    if roll < 0.14:
        cancelled = max(row["created_at"], starts - timedelta(hours=rng.randint(1, 30)))
        row.update(status="cancelled", cancelled_at=cancelled, occupied_until=starts)
        return [("cancelled", cancelled)]
    if roll < 0.17:
        cancelled = starts + timedelta(minutes=40)
        row.update(status="cancelled", cancelled_at=cancelled, occupied_until=cancelled)
        row["checked_in_at"] = starts + timedelta(minutes=5)
        return [("checked_in", row["checked_in_at"]), ("cancelled", cancelled)]
    row["status"] = "completed"
    row["checked_in_at"] = starts + timedelta(minutes=rng.randint(0, 20))
    events = [("checked_in", row["checked_in_at"])]
    if roll > 0.9 and ends - starts > timedelta(hours=1):
        row["checked_out_at"] = ends - timedelta(minutes=30)
        row["occupied_until"] = row["checked_out_at"]
        events.append(("completed", row["checked_out_at"]))
    else:
        events.append(("completed", ends))
    return events


def seed(db, scale: Scale, today: date, rng: random.Random) -> dict:
    """Fill the (empty, migrated) database and return the manifest."""
    from werkzeug.security import generate_password_hash

    from hubbar.accounts.models import Organisation, Role, RoleAssignment, User
    from hubbar.api.models import ApiToken
    from hubbar.api.operations import hash_token
    from hubbar.bookings.models import person_of
    from hubbar.hubs.models import (
        Desk,
        DeskEquipment,
        Equipment,
        Hub,
        OpeningHours,
        hub_admissions,
    )

    EQUIPMENT = (
        (Equipment.SCREEN, Equipment.DOCKING_STATION),
        (Equipment.SCREEN,),
        (Equipment.SCREEN, Equipment.HEIGHT_ADJUSTABLE),
    )

    conn = db.session.connection()
    now = datetime.now(UTC)
    # Hubs, desks and people date from before anything the scenarios ask for (a year back at
    # least): a desk that did not exist yet is closed time, which no scenario means to measure.
    long_ago = datetime.combine(today - timedelta(days=max(scale.open_days * 2, 800)), time(6), UTC)
    days = open_days(today, scale.open_days)
    n_orgs = scale.organisations
    desks_per_hub = scale.desks // HUBS_PER_ORGANISATION

    conn.execute(
        insert(Organisation),
        [
            {"name": f"Förvaltning {o + 1:03d}", "code": f"O{o + 1:03d}", "kind": "administration"}
            for o in range(n_orgs)
        ],
    )
    org_ids = list(conn.execute(text("SELECT id FROM organisations ORDER BY id")).scalars())
    password_hash = generate_password_hash(PASSWORD)
    users = []
    for o, org_id in enumerate(org_ids):
        for u in range(scale.users):
            first = FIRST_NAMES[(o * 7 + u) % len(FIRST_NAMES)]
            last = LAST_NAMES[(o * 3 + u * 11) % len(LAST_NAMES)]
            users.append(
                {
                    "email": f"{first.lower()}.{last.lower()}.{o + 1}.{u}@bench.example",
                    "display_name": f"{first} {last}",
                    "organisation_id": org_id,
                    "password_hash": password_hash,
                    "locale": "sv" if u % 10 else "en",
                    "active": True,
                    "created_at": long_ago,
                    "mail_off": "",
                    "show_name": u % 4 == 0,
                }
            )
    for start in range(0, len(users), 10_000):
        conn.execute(insert(User), users[start : start + 10_000])
    user_rows = conn.execute(text("SELECT id, organisation_id, email FROM users ORDER BY id")).all()
    staff: dict[int, list[int]] = {org_id: [] for org_id in org_ids}
    email_of = {}
    for user_id, org_id, email in user_rows:
        staff[org_id].append(user_id)
        email_of[user_id] = email
    bookers = {o: ids[:-WRITERS_PER_ORGANISATION] for o, ids in staff.items()}
    writers = {o: ids[-WRITERS_PER_ORGANISATION:] for o, ids in staff.items()}
    person = {user_id: person_of(user_id) for user_id, _o, _e in user_rows}

    hubs, hours_rows, admissions = [], [], []
    for o, org_id in enumerate(org_ids):
        for h in range(HUBS_PER_ORGANISATION):
            hubs.append(
                {
                    "name": f"Hubb {o + 1:03d}-{h + 1}",
                    "host_organisation_id": org_id,
                    "address": f"Stadsgatan {o + 1}, plan {h + 1}",
                    "description": "Touch-down-platser för kommunens medarbetare.",
                    "timezone": "Europe/Stockholm",
                    "created_at": long_ago,
                    "cost_per_desk_month": 1200,
                    "fixed_cost_per_month": 5000,
                }
            )
    conn.execute(insert(Hub), hubs)
    hub_rows = conn.execute(text("SELECT id, host_organisation_id FROM hubs ORDER BY id")).all()
    hub_kind = {}
    hubs_of: dict[int, list[int]] = {org_id: [] for org_id in org_ids}
    for n, (hub_id, host) in enumerate(hub_rows):
        kind = n % 2
        hub_kind[hub_id] = kind
        hubs_of[host].append(hub_id)
        guest = org_ids[(org_ids.index(host) + 1) % n_orgs]
        if guest != host:
            admissions.append({"hub_id": hub_id, "organisation_id": guest})
        hours = HOURS[kind]
        for weekday in range(5):
            hours_rows.append(
                {
                    "hub_id": hub_id,
                    "weekday": weekday,
                    "opens": hours["opens"],
                    "closes": hours["closes"],
                    "break_starts": hours["break"][0] if hours["break"] else None,
                    "break_ends": hours["break"][1] if hours["break"] else None,
                }
            )
    conn.execute(insert(OpeningHours), hours_rows)
    if admissions:
        conn.execute(insert(hub_admissions), admissions)
    desks = [
        {
            "hub_id": hub_id,
            "label": f"Plats {d + 1:03d}",
            "zone": ("Fönster", "Tyst", "Öppet")[d % 3],
            "active": True,
            "created_at": long_ago,
        }
        for hub_id, _host in hub_rows
        for d in range(desks_per_hub)
    ]
    for start in range(0, len(desks), 10_000):
        conn.execute(insert(Desk), desks[start : start + 10_000])
    desks_of: dict[int, list[int]] = {hub_id: [] for hub_id, _h in hub_rows}
    for desk_id, hub_id in conn.execute(text("SELECT id, hub_id FROM desks ORDER BY id")):
        desks_of[hub_id].append(desk_id)
    equipment = [
        {"desk_id": desk_id, "tag": tag}
        for ids in desks_of.values()
        for n, desk_id in enumerate(ids)
        for tag in EQUIPMENT[n % len(EQUIPMENT)]
    ]
    for start in range(0, len(equipment), 10_000):
        conn.execute(insert(DeskEquipment), equipment[start : start + 10_000])

    # Roles: the first five of each organisation manage its hubs, the sixth is its admin.
    admin_id = conn.execute(
        insert(User).returning(User.id),
        {
            "email": "admin@bench.example",
            "display_name": "Systemadministratör",
            "organisation_id": org_ids[0],
            "password_hash": password_hash,
            "created_at": long_ago,
        },
    ).scalar_one()
    roles = [{"user_id": admin_id, "role": Role.SYSTEM_ADMIN.value}]
    managers, org_admins = [], []
    for org_id in org_ids:
        for n, hub_id in enumerate(hubs_of[org_id]):
            user_id = staff[org_id][n]
            roles.append({"user_id": user_id, "role": "hub_manager", "hub_id": hub_id})
            managers.append({"user_id": user_id, "hub_id": hub_id})
        user_id = staff[org_id][HUBS_PER_ORGANISATION]
        roles.append({"user_id": user_id, "role": "org_admin", "organisation_id": org_id})
        org_admins.append({"user_id": user_id, "organisation_id": org_id})
    for row in roles:
        for key in ("hub_id", "organisation_id", "pilot_id"):
            row.setdefault(key, None)
        row["created_at"] = now
    conn.execute(insert(RoleAssignment), roles)

    bookings = Table(
        "bookings",
        [
            "id",
            "desk_id",
            "hub_id",
            "user_id",
            "person_id",
            "organisation_id",
            "starts_at",
            "ends_at",
            "occupied_until",
            "status",
            "checkin_required",
            "created_at",
            "checked_in_at",
            "checked_out_at",
            "cancelled_at",
            "released_at",
            "version",
        ],
    )
    events = Table("booking_events", ["booking_id", "status", "occurred_at", "actor_id", "note"])
    misses = Table(
        "demand_misses",
        ["hub_id", "organisation_id", "wanted_start", "wanted_end", "source", "created_at"],
    )
    weights = [WEEKDAY_WEIGHT[day.weekday()] for day in days]
    total_weight = sum(weights)
    per_hub = scale.bookings // HUBS_PER_ORGANISATION
    booking_id = 0
    free_slots = []
    first_future = next(n for n, day in enumerate(days) if day > today)
    guest_of = {org_id: org_ids[(n + 1) % n_orgs] for n, org_id in enumerate(org_ids)}
    with Detached(conn):
        for n_day, day in enumerate(days):
            taken_today = {org_id: 0 for org_id in org_ids}
            offsets = {org_id: rng.randrange(len(bookers[org_id])) for org_id in org_ids}
            share = per_hub * weights[n_day] / total_weight
            count = int(share + rng.random())
            for hub_id, host in hub_rows:
                desk_ids = desks_of[hub_id]
                kind = hub_kind[hub_id]
                stretches = STRETCHES[kind]
                picked = set(rng.sample(range(2 * len(desk_ids)), min(count, 2 * len(desk_ids))))
                for slot in sorted(picked):
                    desk_index, half = divmod(slot, 2)
                    (w0, _w1), (_a0, a1) = stretches
                    window = stretches[half]
                    if half == 0 and slot + 1 not in picked and rng.random() < 0.15:
                        begin, end = local(day, w0), local(day, a1)  # a whole day, over lunch
                        picked.add(slot + 1)
                    else:
                        begin = local(day, window[0]) + timedelta(minutes=30 * rng.randint(0, 2))
                        end_limit = local(day, window[1])
                        hours = rng.choice((1, 2, 2, 3, 3, 4, 4, 4))
                        end = min(begin + timedelta(hours=hours), end_limit)
                    org_id = guest_of[host] if rng.random() < GUEST_SHARE else host
                    people = bookers[org_id]
                    if taken_today[org_id] >= len(people):
                        org_id = host
                        people = bookers[org_id]
                    user_id = people[(offsets[org_id] + taken_today[org_id]) % len(people)]
                    taken_today[org_id] += 1
                    booking_id += 1
                    lead = timedelta(hours=rng.choice((0.5, 2, 18, 26, 50, 120, 300)))
                    created = min(begin - lead, now)
                    row = {
                        "id": booking_id,
                        "desk_id": desk_ids[desk_index],
                        "hub_id": hub_id,
                        "user_id": user_id,
                        "person_id": person[user_id],
                        "organisation_id": org_id,
                        "starts_at": begin,
                        "ends_at": end,
                        "occupied_until": end,
                        "status": "confirmed",
                        "checkin_required": True,
                        "created_at": created,
                        "checked_in_at": None,
                        "checked_out_at": None,
                        "cancelled_at": None,
                        "released_at": None,
                        "version": 1,
                    }
                    later = fate(row, rng, now)
                    bookings.add(*(row[c] for c in bookings.columns))
                    events.add(booking_id, "confirmed", created, user_id, "")
                    for status, at in later:
                        actor = None if status in ("released", "completed") else user_id
                        events.add(booking_id, status, at, actor, "")
                    if rng.random() < 0.025:
                        misses.add(hub_id, org_id, begin, end, "search", created)
                if n_day >= first_future:
                    for slot in range(2 * len(desk_ids)):
                        if slot not in picked:
                            desk_index, half = divmod(slot, 2)
                            window = STRETCHES[kind][half]
                            free_slots.append(
                                (
                                    desk_ids[desk_index],
                                    hub_id,
                                    host,
                                    local(day, window[0]),
                                    local(day, window[0]) + timedelta(hours=2),
                                )
                            )
            if len(bookings.rows) >= 200_000 or n_day == len(days) - 1:
                load(conn, bookings)
                load(conn, events)
                load(conn, misses)
    set_sequences(conn, ["bookings", "booking_events", "demand_misses"])

    manifest_users = sorted(
        {u for ids in bookers.values() for u in ids[HUBS_PER_ORGANISATION + 1 :]}
    )
    employees = rng.sample(manifest_users, min(EMPLOYEES_IN_MANIFEST, len(manifest_users)))
    evaluator_id = bookers[org_ids[0]][HUBS_PER_ORGANISATION + 1]
    pilot = make_pilot(db, org_ids[0], hubs_of[org_ids[0]][0], evaluator_id, bookers, today, rng)
    everyone_listed = (
        employees
        + [m["user_id"] for m in managers]
        + [a["user_id"] for a in org_admins]
        + [evaluator_id]
        + [w for ids in writers.values() for w in ids]
    )
    conn = db.session.connection()
    conn.execute(
        insert(ApiToken),
        [
            {
                "user_id": user_id,
                "name": "Bänk",
                "token_hash": hash_token(token_for(user_id)),
                "created_at": now,
                "expires_at": now + timedelta(days=30),
            }
            for user_id in sorted(set(everyone_listed))
        ],
    )
    db.session.commit()

    org_of = {user_id: org_id for user_id, org_id, _e in user_rows}

    def who(user_id: int) -> dict:
        return {"user_id": user_id, "email": email_of[user_id], "token": token_for(user_id)}

    def bookable(org_id: int) -> list[int]:
        return sorted(
            hub_id for hub_id, host in hub_rows if host == org_id or guest_of[host] == org_id
        )

    rng.shuffle(free_slots)
    return {
        "today": today.isoformat(),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "password": PASSWORD,
        "counts": {
            "organisations": n_orgs,
            "users": len(user_rows),
            "hubs": len(hub_rows),
            "desks": len(desks),
            "bookings": booking_id,
            "open_days": len(days),
        },
        "organisations": [
            {"id": org_id, "code": f"O{n + 1:03d}", "hub_ids": hubs_of[org_id]}
            for n, org_id in enumerate(org_ids)
        ],
        "employees": [
            {**who(u), "organisation_id": org_of[u], "hub_ids": bookable(org_of[u])}
            for u in employees
        ],
        "managers": [{**who(m["user_id"]), "hub_id": m["hub_id"]} for m in managers],
        "org_admins": [
            {**who(a["user_id"]), "organisation_id": a["organisation_id"]} for a in org_admins
        ],
        "evaluator": who(evaluator_id),
        "pilot": pilot,
        "writers": [
            {**who(w), "organisation_id": org_id} for org_id, ids in writers.items() for w in ids
        ],
        "free_slots": [
            {
                "desk_id": desk_id,
                "hub_id": hub_id,
                "organisation_id": host,
                "start": starts.astimezone(ZONE).isoformat(),
                "end": ends.astimezone(ZONE).isoformat(),
            }
            for desk_id, hub_id, host, starts, ends in free_slots[:FREE_SLOTS_IN_MANIFEST]
        ],
    }


def make_pilot(db, org_id, hub_id, evaluator_id, bookers, today, rng) -> dict:
    """A two-month pilot of one hub that ended before today, with criteria, the host's staff
    as participants, feedback on a share of their visits, and its report generated."""
    from dateutil.relativedelta import relativedelta
    from sqlalchemy import select

    from hubbar.accounts.models import Role, RoleAssignment, User
    from hubbar.bookings.models import Booking, BookingStatus
    from hubbar.demo import COMMENTS, CRITERIA
    from hubbar.hubs.models import Hub
    from hubbar.pilots import report
    from hubbar.pilots.models import Criterion, Feedback, Otherwise, Pilot, PilotStatus

    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1) - relativedelta(months=1)
    hub = db.session.get(Hub, hub_id)
    pilot = Pilot(
        name="Pilot Hubb 001-1",
        host_organisation_id=org_id,
        start_date=first,
        end_date=last,
        status=PilotStatus.ENDED,
        cost_per_desk_month=1200,
        fixed_cost_per_month=5000,
    )
    pilot.hubs = [hub]
    pilot.guest_organisations = list(hub.admitted_organisations)
    participants = bookers[org_id] + [u for o in hub.admitted_organisations for u in bookers[o.id]]
    pilot.participants = list(db.session.scalars(select(User).where(User.id.in_(participants))))
    pilot.criteria = [
        Criterion(position=n, metric=m, comparator=c, target=t, baseline=b, reason=r)
        for n, (m, c, t, b, r) in enumerate(CRITERIA)
    ]
    db.session.add(pilot)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=evaluator_id, role=Role.EVALUATOR, pilot_id=pilot.id))
    visits = db.session.scalars(
        select(Booking.id).where(
            Booking.hub_id == hub_id,
            Booking.status == BookingStatus.COMPLETED,
            Booking.starts_at >= local(first, time(0)),
            Booking.starts_at < local(last + timedelta(days=1), time(0)),
        )
    ).all()
    feedback = []
    for booking_id in visits:
        if rng.random() < 0.4:
            rating, comment = rng.choice(COMMENTS)
            feedback.append(
                Feedback(
                    booking_id=booking_id,
                    rating=rating,
                    comment=comment if rng.random() < 0.3 else "",
                    otherwise=rng.choice(list(Otherwise)),
                    minutes_saved=rng.choice((10, 20, 30, 45, 60)),
                )
            )
    db.session.add_all(feedback)
    db.session.commit()
    report.generate(None, pilot)
    db.session.commit()
    return {
        "id": pilot.id,
        "hub_id": hub_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
    }


def prepare(url: str, scale: str, out_dir: Path, *, secret: str, today: date | None = None):
    """Create the database in ``url`` afresh, migrate it, load ``scale`` and write and return
    the manifest (``out_dir/manifest.json``)."""
    if scale not in SCALES:
        raise SystemExit(f"unknown scale {scale!r}: choose from {', '.join(SCALES)}")
    fresh_database(url)
    os.environ["HUBBAR_DATABASE_URL"] = url
    os.environ["HUBBAR_SECRET_KEY"] = secret
    os.environ["HUBBAR_PSEUDONYM_KEY"] = secret
    os.environ["HUBBAR_SCHEDULER_ENABLED"] = "false"
    os.environ.setdefault("HUBBAR_INSTANCE_PATH", tempfile.mkdtemp(prefix="hubbar-seed-"))
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="hubbar-mpl-"))
    from flask_migrate import upgrade

    from hubbar import create_app
    from hubbar.extensions import db

    app = create_app()
    started = clock.perf_counter()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        manifest = seed(db, SCALES[scale], today or date.today(), random.Random(9))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    manifest = {"scale": scale, "url": url, **manifest}
    manifest["seconds"] = round(clock.perf_counter() - started, 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", choices=list(SCALES))
    parser.add_argument("--url", help="database to create and fill (default: local PostgreSQL)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), type=Path)
    parser.add_argument("--secret", default="bench-secret-not-for-production")
    args = parser.parse_args()
    manifest = prepare(
        args.url or default_url(args.scale), args.scale, args.out, secret=args.secret
    )
    counts = manifest["counts"]
    print(
        f"scale {args.scale}: {counts['organisations']} organisations, {counts['users']:,} users,"
        f" {counts['hubs']} hubs, {counts['desks']:,} desks, {counts['bookings']:,} bookings over"
        f" {counts['open_days']} open days, in {manifest['seconds']} s"
    )


if __name__ == "__main__":
    main()
