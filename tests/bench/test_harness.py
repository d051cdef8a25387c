"""The benchmark harness end to end at scale "tiny": seed, gunicorn, every scenario, the race.

Not a benchmark: three requests per scenario, to show that the seeder, the runner and the
client still fit the app. It runs on the suite's database kind: on PostgreSQL the bench gets
its own throwaway database (dropped afterwards), on SQLite a file in a temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.client import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def bench_url(database_url, tmp_path):
    """A database for the bench: beside the suite's on PostgreSQL, a file on SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        return
    name = f"hubbar_bench_tiny_test_{uuid.uuid4().hex[:8]}"
    yield url.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_runner_measures_every_scenario_and_passes_the_race_check(bench_url, tmp_path):
    out = tmp_path / "results"
    command = [
        sys.executable,
        str(ROOT / "bench" / "city.py"),
        *("--scale", "tiny", "--url", bench_url, "--out", str(out)),
        *("--requests", "3", "--warmup", "1", "--clients", "2", "--workers", "2"),
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    result = json.loads((out / "tiny.json").read_text())
    assert result["scale"] == "tiny"
    scenarios = result["scenarios"]
    assert set(scenarios) == {scenario.name for scenario in SCENARIOS}
    for name, row in scenarios.items():
        assert (name, row["n"], row["errors"]) == (name, 3, 0), row["first_error"]
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert scenarios["create_booking"]["bookings_per_s"] > 0
    assert scenarios["csv_year"]["bytes_per_request"] > 0
    assert scenarios["csv_year"]["worker_rss_growth_mb"] is not None
    memory = scenarios["csv_year"]["export_memory"]
    assert memory["year"]["bytes"] > memory["month"]["bytes"] > 0
    assert memory["met"] is True

    race = result["race"]
    assert race["passed"] is True
    assert race["slots"] == race["passed_slots"] > 0
    assert race["overlaps"] == {"desk": 0, "user": 0}
    assert len(result["worker_rss_max_mb"]) >= 2  # one figure per gunicorn worker
    if make_url(bench_url).get_backend_name() == "postgresql":
        assert result["physical_limit"]["inserts_per_s"] > 0
        assert result["machine"]["database"].startswith("PostgreSQL")
    else:
        assert result["physical_limit"] is None
