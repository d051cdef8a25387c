"""The benchmark's seeder at scale "tiny": what it loads is the city the manifest describes.

Seeded into a database of its own (a file on SQLite, a throwaway database beside the suite's
on PostgreSQL), in a subprocess, since the seeder builds its own app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.bench.test_harness import bench_url  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_city_is_what_the_manifest_says(bench_url, tmp_path):  # noqa: F811
    out = tmp_path / "seed"
    command = [sys.executable, str(ROOT / "bench" / "seed.py"), "--scale", "tiny"]
    command += ["--url", bench_url, "--out", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())

    engine = create_engine(bench_url)
    with engine.connect() as conn:

        def one(sql: str, **params):
            return conn.execute(text(sql), params).scalar_one()

        counts = manifest["counts"]
        assert counts["organisations"] == one("SELECT count(*) FROM organisations") == 2
        assert counts["hubs"] == one("SELECT count(*) FROM hubs") == 10  # five per organisation
        assert counts["desks"] == one("SELECT count(*) FROM desks") == 20
        assert counts["bookings"] == one("SELECT count(*) FROM bookings")
        # About 200 per organisation (0.4 a desk and open day, rounded day by day).
        assert 360 <= counts["bookings"] <= 440
        statuses = {row[0] for row in conn.execute(text("SELECT DISTINCT status FROM bookings"))}
        assert statuses == {"completed", "released", "cancelled", "confirmed"}
        # Every booking has its history: made, then what became of it.
        assert (
            one(
                "SELECT count(*) FROM bookings b WHERE NOT EXISTS "
                "(SELECT 1 FROM booking_events e "
                "WHERE e.booking_id = b.id AND e.status = 'confirmed')"
            )
            == 0
        )
        # Nobody holds two desks at once, and no desk is held twice at once.
        for column in ("desk_id", "user_id"):
            assert (
                one(
                    f"SELECT count(*) FROM bookings a JOIN bookings b ON a.{column} = b.{column} "
                    "AND a.id < b.id AND a.starts_at < b.occupied_until "
                    "AND b.starts_at < a.occupied_until "
                    "AND a.starts_at < a.occupied_until AND b.starts_at < b.occupied_until"
                )
                == 0
            )
        writers = [w["user_id"] for w in manifest["writers"]]
        assert len(writers) == 32
        ids = ",".join(map(str, writers))
        assert one(f"SELECT count(*) FROM bookings WHERE user_id IN ({ids})") == 0
        # The pilot is reported, with its report stored.
        assert one("SELECT status FROM pilots WHERE id = :id", id=manifest["pilot"]["id"]) == (
            "reported"
        )
        assert one("SELECT count(*) FROM pilot_reports") == 1
    engine.dispose()
    # Free desk-times are free: no booking holds the desk then.
    assert manifest["free_slots"]

    def moment(value: str) -> datetime:
        at = datetime.fromisoformat(value).astimezone(UTC)
        return at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at

    with engine.connect() as conn:
        for slot in manifest["free_slots"][:50]:
            taken = conn.execute(
                text(
                    "SELECT count(*) FROM bookings WHERE desk_id = :desk "
                    "AND starts_at < :end AND occupied_until > :start"
                ),
                {
                    "desk": slot["desk_id"],
                    "start": moment(slot["start"]),
                    "end": moment(slot["end"]),
                },
            ).scalar_one()
            assert taken == 0, slot
    engine.dispose()
