"""Issue 9's city-scale benchmark: seed, start a real server, measure, write the figures.

    python bench/city.py                        # scale S on the local PostgreSQL (user postgres)
    python bench/city.py --scale M              # 1 M bookings; --scale L: 20 M, Seatsurfing's
    python bench/city.py --skip-seed --only availability,manager_week   # measure again
    python bench/city.py --scale tiny --url sqlite:////tmp/bench.sqlite3 --requests 3

1. bench/seed.py creates the database in --url afresh and loads the scale (with --skip-seed the
   manifest already in --out is used, and the database as it is);
2. gunicorn serves wsgi:app with --workers workers on a free local port, on that database;
3. a thread samples every worker's resident memory (RSS) every 0.25 s during the whole run;
4. on PostgreSQL, the physical limit: 16 connections insert single bookings straight into the
   bookings table (with its exclusion constraints) for 5 s, far in the future, then delete them;
   write throughput is reported as a ratio of this rate;
5. bench/client.py runs the scenarios (reads with --clients, writes with --write-clients);
6. the race check: 16 people book one desk-time at once, 20 times; exactly one may win. Then
   no two bookings of a desk, nor of a person, may overlap anywhere in the table.

Prints a table and writes <out>/<scale>.json (machine, date, counts, per scenario n, p50, p95,
p99, max, errors and throughput beside Seatsurfing's budget and hubbar's target, worker memory,
the physical limit and the race check). --only a,b runs some scenarios (`race` is one). The exit
status is 1 when a request failed or the race check did not pass; a missed target is a figure,
not a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import client, seed  # noqa: E402  (after the repository is on the path)

SECRET = "bench-secret-not-for-production"  # bench/seed.py's default; keys the person ids
WORKER_RSS_TARGET_MB = 200
SAMPLE_EVERY_S = 0.25
PHYSICAL_THREADS = 16
PHYSICAL_SECONDS = 5.0
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)  # no seeded or free slot is anywhere near
INSERT_BOOKING = """
    INSERT INTO bookings (desk_id, hub_id, user_id, person_id, organisation_id, starts_at,
                          ends_at, occupied_until, status, checkin_required, created_at, version)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'confirmed', true, %s, 1)
"""
# Bookings that overlap an earlier one of the same desk (or person): sorted by start, a booking
# overlaps some earlier one exactly when it starts before the latest end among them. Zero here
# means no overlapping pair, and it sorts the table once instead of joining it with itself.
# Empty intervals (cancelled before the start) occupy nothing, as in the exclusion constraints.
OVERLAPS = """
    SELECT count(*) FROM (
        SELECT starts_at, max(occupied_until) OVER (
            PARTITION BY {column} ORDER BY starts_at, id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS latest_end
        FROM bookings
        WHERE starts_at < occupied_until AND {column} IS NOT NULL
    ) AS ordered
    WHERE starts_at < latest_end
"""


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app on a free port, from start until stop (SIGTERM, then wait)."""

    def __init__(self, url: str, secret: str, workers: int, scratch: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = scratch / "gunicorn.log"
        self.command = [
            str(Path(sys.prefix) / "bin" / "gunicorn"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"),
            *("--timeout", "120", "wsgi:app"),
        ]
        self.env = {
            **os.environ,
            "HUBBAR_DATABASE_URL": url,
            "HUBBAR_SECRET_KEY": secret,
            "HUBBAR_PSEUDONYM_KEY": secret,
            "HUBBAR_SCHEDULER_ENABLED": "false",
            "HUBBAR_INSTANCE_PATH": str(scratch / "instance"),
            "MPLCONFIGDIR": str(scratch / "matplotlib"),
        }
        self.process: subprocess.Popen | None = None

    def start(self, wait_s: float = 60) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                requests.get(self.base_url + "/login", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or the workers still boot
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {wait_s:g} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class MemorySampler(threading.Thread):
    """Samples the resident memory of every child (worker) of a process at an interval."""

    def __init__(self, master_pid: int, every_s: float = SAMPLE_EVERY_S):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.every_s = every_s
        self.samples: list[tuple[float, dict[int, float]]] = []  # (monotonic, {pid: MB})
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), self.workers_rss()))
            if self._done.wait(self.every_s):
                return

    def stop(self) -> None:
        self._done.set()
        self.join()

    def workers_rss(self) -> dict[int, float]:
        master = self.master_pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            return {}
        rss = {}
        for pid in map(int, children):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:  # the worker ended between the two reads
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1]) / 1024
        return rss

    def peaks(self) -> dict[int, float]:
        """Each worker's largest RSS in MB."""
        peak: dict[int, float] = {}
        for _at, rss in self.samples:
            for pid, mb in rss.items():
                peak[pid] = max(mb, peak.get(pid, 0.0))
        return peak

    def growth(self, started: float, ended: float) -> float | None:
        """The most any worker grew between started and ended: its largest RSS during the
        stretch, or in the first sample after it (a stretch may be shorter than the interval,
        and a worker's RSS hardly shrinks), minus its RSS in the last sample before it (MB)."""
        before: dict[int, float] = {}
        during: dict[int, float] = {}
        for at, rss in self.samples:
            if at < started:
                before = rss
                continue
            for pid, mb in rss.items():
                during[pid] = max(mb, during.get(pid, 0.0))
            if at > ended:
                break
        grown = [mb - before[pid] for pid, mb in during.items() if pid in before]
        return max(grown) if grown else None


# --- the database's side ----------------------------------------------------------------------


def psycopg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def physical_limit(url: str, manifest: dict) -> dict:
    """Single-row booking inserts per second that PostgreSQL alone takes from 16 connections
    (autocommit, the exclusion constraints checked), at times no booking can conflict with:
    each insert has its own half hour from 2100 on. The rows are deleted afterwards."""
    conninfo = psycopg_conninfo(url)
    writers = manifest["writers"]
    desks = sorted({(slot["desk_id"], slot["hub_id"]) for slot in manifest["free_slots"]})
    desk_ids = [desk_id for desk_id, _hub_id in desks]
    counts = [0] * PHYSICAL_THREADS
    failures: list[BaseException] = []
    barrier = threading.Barrier(PHYSICAL_THREADS + 1)

    def clean() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(
                "DELETE FROM bookings WHERE desk_id = ANY(%s) AND starts_at >= %s",
                (desk_ids, FAR_FUTURE),
            )

    def insert(thread: int) -> None:
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                barrier.wait()
                deadline = time.monotonic() + PHYSICAL_SECONDS
                done = 0
                while time.monotonic() < deadline:
                    k = done * PHYSICAL_THREADS + thread  # unique: no two inserts share a time
                    writer = writers[k % len(writers)]
                    desk_id, hub_id = desks[k % len(desks)]
                    starts = FAR_FUTURE + timedelta(minutes=30 * k)
                    ends = starts + timedelta(minutes=30)
                    row = (desk_id, hub_id, writer["user_id"], k, writer["organisation_id"])
                    conn.execute(INSERT_BOOKING, (*row, starts, ends, ends, datetime.now(UTC)))
                    done += 1
                counts[thread] = done
        except BaseException as error:
            failures.append(error)
            barrier.abort()

    clean()  # what an interrupted run may have left
    threads = [threading.Thread(target=insert, args=(t,)) for t in range(PHYSICAL_THREADS)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a thread failed: raised below
        barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    clean()
    if failures:
        raise failures[0]
    total = sum(counts)
    return {
        "threads": PHYSICAL_THREADS,
        "seconds": round(seconds, 2),
        "inserts": total,
        "inserts_per_s": round(total / seconds, 1),
    }


def overlap_counts(engine: Engine) -> dict[str, int]:
    """Bookings overlapping another of the same desk, and of the same person (both must be 0)."""
    with engine.connect() as conn:
        return {
            kind: conn.execute(text(OVERLAPS.format(column=column))).scalar_one()
            for kind, column in (("desk", "desk_id"), ("user", "user_id"))
        }


def machine(engine: Engine) -> dict:
    """Cores, memory, processor and database version of the machine the figures come from."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
        database = f"PostgreSQL {version}"
    else:
        database = f"SQLite {sqlite3.sqlite_version}"
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(total_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "database": database,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


# --- the run ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="S", choices=list(seed.SCALES))
    parser.add_argument("--url", help="default: hubbar_bench_<scale> on the local PostgreSQL")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for reads")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--write-clients", type=int, default=client.WRITE_CLIENTS)
    parser.add_argument("--warmup", type=int, default=client.WARMUP, help="untimed, first")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--skip-seed", action="store_true", help="use the manifest in --out")
    parser.add_argument("--secret", default=SECRET, help="the server's keys, as when seeded")
    parser.add_argument("--only", help=f"comma-separated, of: {','.join(client.NAMES)}")
    return parser.parse_args()


def load_manifest(args: argparse.Namespace, url: str) -> dict:
    if not args.skip_seed:
        print(f"seeding scale {args.scale} into {make_url(url).render_as_string()} ...")
        manifest = seed.prepare(url, args.scale, args.out, secret=args.secret)
        print(f"  seeded in {manifest.get('seconds', '?')} s: {manifest['counts']}")
        return manifest
    path = args.out / "manifest.json"
    manifest = json.loads(path.read_text())
    if manifest["scale"] != args.scale:
        raise SystemExit(f"{path} is of scale {manifest['scale']}, not {args.scale}")
    return manifest


@dataclass
class Run:
    """What one run measured, before it is reported."""

    measured: dict[str, client.Measurement]
    sampler: MemorySampler
    physical: dict | None
    race: client.Race | None
    overlaps: dict[str, int] | None
    server_log: str


def measure(args: argparse.Namespace, url: str, manifest: dict, only: set[str]) -> Run:
    """Start gunicorn, sample its workers' memory, take the physical limit (PostgreSQL), run
    the scenarios and the race check with its overlap count; stop gunicorn whatever happens."""
    engine = create_engine(url)
    physical = overlaps = None
    with tempfile.TemporaryDirectory(prefix="hubbar-bench-") as scratch:
        server = Server(url, args.secret, args.workers, Path(scratch))
        try:
            server.start()
            print(f"gunicorn: {args.workers} workers at {server.base_url}")
            sampler = MemorySampler(server.process.pid)
            sampler.start()
            try:
                if engine.dialect.name == "postgresql":
                    physical = physical_limit(url, manifest)
                    print(
                        f"physical limit: {physical['inserts_per_s']:,.0f} single-row booking"
                        f" inserts/s ({physical['inserts']:,} from {physical['threads']}"
                        f" connections in {physical['seconds']} s)"
                    )
                else:
                    print("physical limit: skipped (PostgreSQL only)")
                measured, race = client.run_scenarios(
                    server.base_url,
                    client.Seeded(manifest),
                    only,
                    count=args.requests,
                    clients=args.clients,
                    write_clients=args.write_clients,
                    warmup=args.warmup,
                )
                if race is not None:
                    overlaps = overlap_counts(engine)
                    client.cancel_winners(server.base_url, race)
            finally:
                sampler.stop()
        finally:
            server.stop()
            server_log = server.tail(40) if server.log.exists() else ""
            engine.dispose()
    return Run(measured, sampler, physical, race, overlaps, server_log)


def export_memory(url: str, manifest: dict, secret: str) -> dict:
    """The raw CSV's memory, measured where it can be seen: in this process, with tracemalloc,
    while one hub's bookings stream through the app (a test client, not buffered), for the
    last 30 days and for the last year. Streaming holds a batch at a time, so the year's peak
    stays near the month's although it is twelve times the data; a buffered export would
    grow with it. (A worker's RSS cannot show this: it is already at its high-water mark from
    the scenarios before.)"""
    import tracemalloc

    os.environ.update(
        HUBBAR_DATABASE_URL=url,
        HUBBAR_SECRET_KEY=secret,
        HUBBAR_PSEUDONYM_KEY=secret,
        HUBBAR_SCHEDULER_ENABLED="false",
    )
    os.environ.setdefault("HUBBAR_INSTANCE_PATH", tempfile.mkdtemp(prefix="hubbar-export-"))
    from hubbar import create_app
    from hubbar.extensions import db

    app = create_app()
    manager = manifest["managers"][0]
    today = datetime.fromisoformat(manifest["today"]).date()
    headers = {"Authorization": f"Bearer {manager['token']}"}
    result = {}
    with app.test_client() as web:
        for label, days in (("month", 30), ("year", 365)):
            first, last = today - timedelta(days=days), today - timedelta(days=1)
            path = f"/api/v1/hubs/{manager['hub_id']}/bookings.csv?from={first}&to={last}"
            web.get(path, headers=headers).close()  # once before, for imports and caches
            tracemalloc.start()
            response = web.get(path, headers=headers, buffered=False)
            size = sum(len(chunk) for chunk in response.response)
            response.close()
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            result[label] = {"bytes": size, "peak_mb": round(peak / 2**20, 2)}
    with app.app_context():
        db.engine.dispose()
    month, year = result["month"], result["year"]
    # Constant: the year's peak within twice the month's (plus 1 MB of slack for noise).
    result["met"] = year["peak_mb"] <= 2 * month["peak_mb"] + 1
    return result


def figures(args: argparse.Namespace, manifest: dict, machine_info: dict, run: Run) -> dict:
    """The run as written to <out>/<scale>.json."""
    by_name = {scenario.name: scenario for scenario in client.SCENARIOS}
    rows = {}
    for name, measurement in run.measured.items():
        growth = run.sampler.growth(measurement.started, measurement.ended)
        row = client.report_row(by_name[name], measurement, rss_growth_mb=growth)
        row.setdefault("worker_rss_growth_mb", None if growth is None else round(growth, 1))
        rows[name] = row
    peaks = run.sampler.peaks()
    created = rows.get("create_booking", {}).get("bookings_per_s")
    physical = run.physical
    ratio = created / physical["inserts_per_s"] if physical and created else None
    race = None
    if run.race is not None:
        race = {
            "slots": run.race.slots,
            "passed_slots": run.race.passed,
            "clients_per_slot": sorted(set(run.race.clients)),
            "failures": run.race.failures,
            "overlaps": run.overlaps,
            "passed": run.race.ok and run.overlaps == {"desk": 0, "user": 0},
        }
    return {
        "machine": machine_info,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": manifest["scale"],
        "counts": manifest["counts"],
        "settings": {
            "workers": args.workers,
            "clients": args.clients,
            "write_clients": args.write_clients,
            "requests": args.requests,
            "warmup": args.warmup,
        },
        "scenarios": rows,
        "worker_rss_max_mb": {str(pid): round(mb, 1) for pid, mb in sorted(peaks.items())},
        "worker_rss_target_mb": WORKER_RSS_TARGET_MB,
        "worker_rss_met": max(peaks.values(), default=0.0) <= WORKER_RSS_TARGET_MB,
        "physical_limit": physical,
        "write_ratio": None if ratio is None else round(ratio, 3),
        "race": race,
    }


def print_summary(result: dict) -> None:
    print()
    client.print_table(result["scenarios"])
    print()
    peaks = result["worker_rss_max_mb"].values()
    print(
        f"worker RSS max (MB): {', '.join(f'{mb:.0f}' for mb in peaks)}"
        f" (target <= {WORKER_RSS_TARGET_MB}: {'yes' if result['worker_rss_met'] else 'NO'})"
    )
    if result["write_ratio"] is not None:
        created = result["scenarios"]["create_booking"]["bookings_per_s"]
        print(
            f"writes: {created:,.0f} bookings/s through hubbar = {result['write_ratio']:.1%} of"
            f" the physical limit ({result['physical_limit']['inserts_per_s']:,.0f} inserts/s)"
        )
    race = result["race"]
    if race is not None:
        clients = ", ".join(map(str, race["clients_per_slot"]))
        print(
            f"race check: {'pass' if race['passed'] else 'FAIL'}: {race['passed_slots']} of"
            f" {race['slots']} slots with one 201 and the rest 409 ({clients} clients each);"
            f" overlapping bookings: desk {race['overlaps']['desk']},"
            f" person {race['overlaps']['user']}"
        )
    memory = result["scenarios"].get("csv_year", {}).get("export_memory")
    if memory:
        month, year = memory["month"], memory["year"]
        print(
            f"raw CSV in constant memory: {'yes' if memory['met'] else 'NO'}: peak"
            f" {month['peak_mb']:.1f} MB for 30 days ({month['bytes']:,} bytes),"
            f" {year['peak_mb']:.1f} MB for a year ({year['bytes']:,} bytes)"
        )
    met = [row["met"] for row in result["scenarios"].values()] + [result["worker_rss_met"]]
    print(f"targets met: {met.count(True)} of {len(met)}")


def main() -> int:
    args = parse_args()
    only = client.parse_only(args.only)
    url = args.url or seed.default_url(args.scale)
    manifest = load_manifest(args, url)
    run = measure(args, url, manifest, only)
    engine = create_engine(url)
    machine_info = machine(engine)
    engine.dispose()

    result = figures(args, manifest, machine_info, run)
    if "csv_year" in result["scenarios"]:
        memory = export_memory(url, manifest, args.secret)
        row = result["scenarios"]["csv_year"]
        row["export_memory"] = memory
        row["met"] = memory["met"]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{manifest['scale']}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print_summary(result)
    print(f"written: {path}")
    failed = any(row["errors"] for row in result["scenarios"].values())
    if failed and run.server_log:
        print(f"\nthe end of gunicorn's log:\n{run.server_log}")
    return 1 if failed or (result["race"] is not None and not result["race"]["passed"]) else 0


if __name__ == "__main__":
    sys.exit(main())
