"""How long all occupancy metrics take for one hub over one year of 100,000 bookings.

Not a test: it prints figures. Issue 4's target is under 300 ms on PostgreSQL.

    python bench/occupancy.py                       # PostgreSQL at 127.0.0.1:5432, user postgres
    python bench/occupancy.py --url sqlite:////tmp/occupancy-bench.sqlite3

The database named in the URL is created afresh (PostgreSQL) or overwritten (SQLite), migrated,
and filled with one hub of 120 desks open 08–17 with lunch closed 12–13, 2,000 people of two
organisations, and a year of bookings (four a desk a day on most days: completed, checked in,
released no-shows, cancellations before and after start) plus demand misses.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)
DESKS, PEOPLE, TARGET_BOOKINGS = 120, 2000, 100_000
SLOTS = ((time(8), time(10)), (time(10), time(12)), (time(13), time(15)), (time(15), time(17)))
ZONE = ZoneInfo("Europe/Stockholm")


def fresh_database(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return url
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def seed(db, models) -> tuple[int, int]:
    from hubbar.bookings.models import person_of
    from hubbar.hubs.calendar import hub_days

    Booking, DemandMiss = models["Booking"], models["DemandMiss"]
    Organisation, User, Hub, Desk = (models[k] for k in ("Organisation", "User", "Hub", "Desk"))
    OpeningHours = models["OpeningHours"]
    rng = random.Random(4)
    ssa = Organisation(name="Stadsarkivet", code="SSA")
    kuf = Organisation(name="Kulturförvaltningen", code="KuF")
    hub = Hub(name="Benchhubben", host_organisation=ssa, address="Bänkgatan 1")
    hub.opening_hours = [
        OpeningHours(
            weekday=d, opens=time(8), closes=time(17), break_starts=time(12), break_ends=time(13)
        )
        for d in range(5)
    ]
    long_ago = datetime(2024, 1, 1, tzinfo=UTC)
    hub.desks = [Desk(label=f"Plats {i:03d}", created_at=long_ago) for i in range(1, DESKS + 1)]
    db.session.add_all([ssa, kuf, hub])
    db.session.flush()
    people = [
        {
            "email": f"person{i}@bench.example",
            "display_name": f"Person {i}",
            "organisation_id": (ssa if i % 3 == 0 else kuf).id,
            "locale": "sv",
            "active": True,
            "created_at": long_ago,
        }
        for i in range(PEOPLE)
    ]
    db.session.execute(insert(User), people)
    user_ids = [row[0] for row in db.session.execute(text("SELECT id FROM users ORDER BY id"))]
    user_orgs = dict(db.session.execute(text("SELECT id, organisation_id FROM users")).all())
    desk_ids = [d.id for d in hub.desks]
    open_days = [s.day for s in hub_days(hub, FIRST, LAST) if s.is_open]
    per_day = TARGET_BOOKINGS // len(open_days) + 1
    rows, misses = [], []
    for n_day, day in enumerate(open_days):
        slots = [(d, s) for d in range(DESKS) for s in range(len(SLOTS))]
        rng.shuffle(slots)
        for i, (desk_index, slot) in enumerate(sorted(slots[:per_day])):
            # Distinct people within a day, so nobody holds two desks at once.
            user_id = user_ids[(n_day * 397 + desk_index * len(SLOTS) + slot) % PEOPLE]
            opens, closes = SLOTS[slot]
            starts = datetime.combine(day, opens, ZONE).astimezone(UTC)
            ends = datetime.combine(day, closes, ZONE).astimezone(UTC)
            created = starts - timedelta(hours=rng.choice((0.5, 3, 20, 30, 70, 200)))
            row = {
                "desk_id": desk_ids[desk_index],
                "hub_id": hub.id,
                "user_id": user_id,
                "person_id": person_of(user_id),
                "organisation_id": user_orgs[user_id],
                "starts_at": starts,
                "ends_at": ends,
                "occupied_until": ends,
                "status": "completed",
                "checkin_required": True,
                "created_at": created,
                "checked_in_at": None,
                "checked_out_at": None,
                "cancelled_at": None,
                "released_at": None,
                "version": 1,
            }
            fate = rng.random()
            if fate < 0.08:
                row.update(status="released", released_at=starts + timedelta(minutes=30))
                row["occupied_until"] = row["released_at"]
            elif fate < 0.14:
                row.update(status="cancelled", cancelled_at=starts - timedelta(hours=5))
                row["occupied_until"] = starts
            elif fate < 0.17:
                row.update(status="cancelled", cancelled_at=starts + timedelta(minutes=40))
                row["occupied_until"] = row["cancelled_at"]
            else:
                row["checked_in_at"] = starts + timedelta(minutes=rng.randint(0, 20))
                if fate > 0.9:
                    row["checked_out_at"] = ends - timedelta(minutes=30)
                    row["occupied_until"] = row["checked_out_at"]
            rows.append(row)
            if i % 40 == 0:
                misses.append(
                    {
                        "hub_id": hub.id,
                        "organisation_id": kuf.id,
                        "wanted_start": starts,
                        "wanted_end": ends,
                        "source": "search",
                        "created_at": created,
                    }
                )
    rows = rows[:TARGET_BOOKINGS]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Booking), rows[start : start + 5000])
    db.session.execute(insert(DemandMiss), misses)
    db.session.commit()
    return hub.id, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/hubbar_bench_occupancy",
        help="database to create and fill (default: PostgreSQL on localhost)",
    )
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    os.environ["HUBBAR_DATABASE_URL"] = fresh_database(args.url)
    os.environ.setdefault("HUBBAR_INSTANCE_PATH", tempfile.mkdtemp(prefix="hubbar-bench-"))
    os.environ["HUBBAR_SCHEDULER_ENABLED"] = "false"
    from flask_migrate import upgrade

    from hubbar import create_app
    from hubbar.accounts.models import Organisation, User
    from hubbar.bookings.models import Booking, DemandMiss
    from hubbar.extensions import db
    from hubbar.hubs.models import Desk, Hub, OpeningHours
    from hubbar.occupancy.metrics import compute

    app = create_app()
    with app.app_context():
        upgrade()
        started = clock.perf_counter()
        hub_id, n = seed(
            db,
            {
                "Booking": Booking,
                "DemandMiss": DemandMiss,
                "Organisation": Organisation,
                "User": User,
                "Hub": Hub,
                "Desk": Desk,
                "OpeningHours": OpeningHours,
            },
        )
        print(f"seeded {n:,} bookings in {clock.perf_counter() - started:.1f} s")
        if make_url(args.url).get_backend_name() == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        hub = db.session.get(Hub, hub_id)
        now = datetime(2026, 1, 15, 12, tzinfo=UTC)
        times = []
        for _ in range(args.runs + 1):
            db.session.expire_all()
            hub = db.session.get(Hub, hub_id)
            started = clock.perf_counter()
            result = compute([hub], FIRST, LAST, now=now)
            times.append((clock.perf_counter() - started) * 1000)
            db.session.rollback()
        times = times[1:]  # the first run warms caches
        print(
            f"all metrics, 1 hub, {FIRST}..{LAST}, {result.value('bookings'):,} bookings "
            f"starting in the period, {len(result.days)} open days, {len(result.desks)} desks"
        )
        print(
            f"booking rate {result.value('booking_rate'):.3f}, desks needed "
            f"{result.value('desks_needed')}"
        )
        print(
            f"compute(): median {statistics.median(times):.0f} ms, "
            f"min {min(times):.0f} ms, max {max(times):.0f} ms over {len(times)} runs "
            f"({make_url(args.url).get_backend_name()})"
        )


if __name__ == "__main__":
    main()
