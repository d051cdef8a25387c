"""The measuring client of issue 9: times hubbar's API and pages as people use them.

Each scenario is one kind of request, labelled with the Seatsurfing perftest scenario it matches
where there is one. Several concurrent clients (threads, one HTTP session each) send a warm-up
that is not counted, then --requests timed requests, rotating over the seeded employees, hubs,
managers and organisations so that they do not all read one row. A non-2xx answer is an error.
The writes (create and cancel a booking) run under 16 clients on free desk-times from the
seeder's manifest, and the race check sends 16 people at one desk-time at the same moment.

bench/city.py seeds the database, starts gunicorn, calls this module and adds the database's
side (physical limit, overlaps, worker memory). On its own, against a server that already runs
on a database seeded by bench/seed.py with the same secret:

    python bench/client.py --base-url http://127.0.0.1:8000 --manifest bench/results/manifest.json
    python bench/client.py --base-url ... --manifest ... --only hub_list,me --requests 500
"""

from __future__ import annotations

import argparse
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import requests

API = "/api/v1"
WARMUP = 20  # requests per scenario before the timed ones
WRITE_CLIENTS = 16
CSV_REQUESTS = 20  # each is a year of one hub's bookings: fewer show its time and memory
ACTIVE_PER_WRITER = 5  # a hub allows 10 upcoming bookings per person; stay well below
RACE_SLOTS = 20
MIN_BOOKINGS_PER_S = 500  # issue 9's write target, beside p95 <= 50 ms
CSV_RSS_GROWTH_MB = 20  # "constant memory": a worker grows by less than this while exporting
TIMEOUT_S = 180  # longer than gunicorn's --timeout 120, so a killed worker shows as an error
CHUNK = 64 * 1024
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Call:
    """One request: method, path with query, the bearer token (if any) and a JSON body."""

    method: str
    path: str
    token: str | None = None
    body: dict | None = None


@dataclass
class Sample:
    """What one request gave: its time, status (None: no answer), size and body."""

    ms: float
    status: int | None
    first_byte_ms: float
    size: int
    body: bytes = b""
    failure: str = ""  # the exception when there was no answer

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        if self.status is None:
            return f"no answer: {self.failure}"
        return f"HTTP {self.status}: {self.body[:400].decode('utf-8', 'replace')}"


@dataclass
class Measurement:
    """The timed requests of one scenario. ``started``/``ended`` are time.monotonic() values,
    so that city.py can match them with its memory samples."""

    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0
    started: float = 0.0
    ended: float = 0.0
    note: str = ""
    bookings_per_s: float | None = None

    @property
    def errors(self) -> int:
        return sum(not s.ok for s in self.samples)

    @property
    def first_error(self) -> str | None:
        return next((s.describe() for s in self.samples if not s.ok), None)


@dataclass(frozen=True)
class Scenario:
    """A kind of request with Seatsurfing's p95 budget and hubbar's p95 target (ms, scale M).

    ``call(seeded, i)`` builds the i-th request; the writes have none (see run_writes)."""

    name: str
    seatsurfing: str | None
    budget_ms: float | None
    target_ms: float | None
    call: Callable[[Seeded, int], Call] | None = None
    web_login: bool = False  # a page: the evaluator logs in through the form first
    stream: bool = False  # read the body in chunks and keep none of it
    most: int | None = None  # fewer timed requests than --requests


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least p % of them at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


# --- the seeded data ------------------------------------------------------------------------


class Seeded:
    """The manifest of bench/seed.py, with the rotations the scenarios use."""

    def __init__(self, manifest: dict):
        self.manifest = manifest
        self.today = date.fromisoformat(manifest["today"])
        self.employees = [e for e in manifest["employees"] if e["hub_ids"]]
        self.managers = manifest["managers"]
        self.org_admins = manifest["org_admins"]
        self.evaluator = manifest["evaluator"]
        self.pilot = manifest["pilot"]
        self.writers = manifest["writers"]
        self.password = manifest["password"]
        ahead = (self.today + timedelta(days=n) for n in range(1, 15))
        self.weekdays_ahead = [day for day in ahead if day.weekday() < 5]
        # The weeks a manager looks at: the last four and the coming one.
        self.week_starts = [self.today - timedelta(days=7 * n) for n in range(4, -1, -1)]

    def employee(self, i: int) -> dict:
        return self.employees[i % len(self.employees)]

    def employee_hub(self, i: int) -> tuple[dict, int]:
        """The i-th employee and, turn by turn, each hub it may book."""
        employee = self.employee(i)
        hubs = employee["hub_ids"]
        return employee, hubs[(i // len(self.employees)) % len(hubs)]

    def manager(self, i: int) -> dict:
        return self.managers[i % len(self.managers)]

    def days_back(self, days: int) -> tuple[str, str]:
        """The period of ``days`` whole days up to yesterday, as ISO dates."""
        return (self.today - timedelta(days=days)).isoformat(), self.yesterday

    @property
    def yesterday(self) -> str:
        return (self.today - timedelta(days=1)).isoformat()


# --- the scenarios ----------------------------------------------------------------------------


def _hub_list(s: Seeded, i: int) -> Call:
    return Call("GET", f"{API}/hubs", s.employee(i)["token"])


def _desk_list(s: Seeded, i: int) -> Call:
    employee, hub_id = s.employee_hub(i)
    return Call("GET", f"{API}/hubs/{hub_id}/desks", employee["token"])


def _availability(s: Seeded, i: int) -> Call:
    employee, hub_id = s.employee_hub(i)
    day = s.weekdays_ahead[i % len(s.weekdays_ahead)]
    query = f"date={day.isoformat()}&start=09:00&end=17:00"
    return Call("GET", f"{API}/hubs/{hub_id}/availability?{query}", employee["token"])


def _my_bookings(s: Seeded, i: int) -> Call:
    return Call("GET", f"{API}/me/bookings", s.employee(i)["token"])


def _manager_week(s: Seeded, i: int) -> Call:
    manager = s.manager(i)
    first = s.week_starts[(i // len(s.managers)) % len(s.week_starts)]
    query = f"from={first.isoformat()}&to={(first + timedelta(days=6)).isoformat()}"
    return Call("GET", f"{API}/hubs/{manager['hub_id']}/bookings?{query}", manager["token"])


def _me(s: Seeded, i: int) -> Call:
    return Call("GET", f"{API}/me", s.employee(i)["token"])


def _occupancy_30d(s: Seeded, i: int) -> Call:
    manager = s.manager(i)
    first, last = s.days_back(30)
    path = f"{API}/hubs/{manager['hub_id']}/occupancy?from={first}&to={last}"
    return Call("GET", path, manager["token"])


def _heatmap_90d(s: Seeded, i: int) -> Call:
    manager = s.manager(i)
    first, last = s.days_back(90)
    path = f"{API}/hubs/{manager['hub_id']}/occupancy/heatmap?from={first}&to={last}"
    return Call("GET", path, manager["token"])


def _organisation_year(s: Seeded, i: int) -> Call:
    admin = s.org_admins[i % len(s.org_admins)]
    first, last = s.days_back(365)
    path = f"{API}/organisations/{admin['organisation_id']}/occupancy?from={first}&to={last}"
    return Call("GET", path, admin["token"])


def _report_page(s: Seeded, i: int) -> Call:
    return Call("GET", f"/pilots/{s.pilot['id']}/report")  # the session's login cookie


def _report_xlsx(s: Seeded, i: int) -> Call:
    return Call("GET", f"{API}/pilots/{s.pilot['id']}/report?format=xlsx", s.evaluator["token"])


def _report_pdf(s: Seeded, i: int) -> Call:
    return Call("GET", f"{API}/pilots/{s.pilot['id']}/report?format=pdf", s.evaluator["token"])


def _csv_year(s: Seeded, i: int) -> Call:
    manager = s.manager(i)
    first, last = s.days_back(365)
    path = f"{API}/hubs/{manager['hub_id']}/bookings.csv?from={first}&to={last}"
    return Call("GET", path, manager["token"])


SCENARIOS = (
    Scenario("hub_list", "location list", 400, 40, _hub_list),
    Scenario("desk_list", "space list", 400, 40, _desk_list),
    Scenario("availability", "space availability", 1500, 50, _availability),
    Scenario("my_bookings", "current bookings", 800, 30, _my_bookings),
    Scenario("manager_week", "booking filter, week", 1500, 100, _manager_week),
    Scenario("me", "user/me", 150, 15, _me),
    Scenario("occupancy_30d", "stats summary", 2000, 100, _occupancy_30d),
    Scenario("heatmap_90d", "weekday stats", 1500, 150, _heatmap_90d),
    Scenario("organisation_year", None, None, 500, _organisation_year),
    Scenario("report_page", None, None, 1000, _report_page, web_login=True),
    Scenario("report_xlsx", None, None, 2000, _report_xlsx),
    Scenario("report_pdf", None, None, 3000, _report_pdf),
    Scenario("csv_year", None, None, None, _csv_year, stream=True, most=CSV_REQUESTS),
    Scenario("create_booking", None, None, 50),
    Scenario("cancel_booking", None, None, 50),
)
WRITES = ("create_booking", "cancel_booking")
NAMES = tuple(s.name for s in SCENARIOS) + ("race",)


# --- sending ----------------------------------------------------------------------------------


def send(session: requests.Session, base_url: str, call: Call, *, keep_body: bool = True) -> Sample:
    """Send one request and read its whole body in chunks; the time runs to the last byte."""
    headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
    begun = time.perf_counter()
    try:
        with session.request(
            call.method,
            base_url + call.path,
            headers=headers,
            json=call.body,
            stream=True,
            allow_redirects=False,  # a page sending us to the login is an error, not a page
            timeout=TIMEOUT_S,
        ) as response:
            first_byte = time.perf_counter()
            size, parts = 0, []
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if keep_body:
                    parts.append(chunk)
            status = response.status_code
    except requests.RequestException as error:
        ms = (time.perf_counter() - begun) * 1000
        return Sample(ms, None, ms, 0, failure=f"{type(error).__name__}: {error}")
    ms, first_byte_ms = (time.perf_counter() - begun) * 1000, (first_byte - begun) * 1000
    return Sample(ms, status, first_byte_ms, size, b"".join(parts))


def log_in(session: requests.Session, base_url: str, email: str, password: str) -> None:
    """Log in through the /login form (its CSRF token included); the session keeps the cookie."""
    page = session.get(base_url + "/login", timeout=TIMEOUT_S)
    found = CSRF_INPUT.search(page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"GET /login gave {page.status_code} without a csrf_token input")
    form = {"email": email, "password": password, "csrf_token": found.group(1)}
    answer = session.post(base_url + "/login", data=form, allow_redirects=False, timeout=TIMEOUT_S)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"logging in {email} gave {answer.status_code}, not a redirect")


def concurrently(
    work: list[list], do: Callable[[int, object], Sample]
) -> tuple[list[list[Sample]], float, float]:
    """Run each list of work items in its own thread, ``do(thread, item)`` for every item in
    order; the samples per thread, and time.monotonic() at start and end."""
    results: list[list[Sample]] = [[] for _ in work]
    failures: list[BaseException] = []

    def run(thread: int) -> None:
        try:
            for item in work[thread]:
                results[thread].append(do(thread, item))
        except BaseException as error:  # raised again below, in the calling thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(len(work))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.monotonic()
    if failures:
        raise failures[0]
    return results, started, ended


def deal(items: list, hands: int) -> list[list]:
    """Deal the items round-robin into ``hands`` lists."""
    return [items[h::hands] for h in range(hands)]


def _measurement(results: list[list[Sample]], started: float, ended: float) -> Measurement:
    samples = [sample for thread in results for sample in thread]
    return Measurement(samples, ended - started, started, ended)


# --- reads ------------------------------------------------------------------------------------


def run_read(
    base_url: str, seeded: Seeded, scenario: Scenario, *, count: int, clients: int, warmup: int
) -> Measurement:
    """Warm up, then time ``count`` requests (fewer if the scenario says so) from ``clients``
    concurrent sessions."""
    timed = min(count, scenario.most) if scenario.most else count
    calls = [scenario.call(seeded, i) for i in range(warmup + timed)]
    sessions = [requests.Session() for _ in range(clients)]
    if scenario.web_login:
        for session in sessions:
            log_in(session, base_url, seeded.evaluator["email"], seeded.password)

    def do(thread: int, call: Call) -> Sample:
        return send(sessions[thread], base_url, call, keep_body=not scenario.stream)

    concurrently(deal(calls[:warmup], clients), do)
    measurement = _measurement(*concurrently(deal(calls[warmup:], clients), do))
    if timed < count:
        measurement.note = f"{timed} timed requests, not {count}"
    for session in sessions:
        session.close()
    return measurement


# --- writes -----------------------------------------------------------------------------------


def _interval(slot: dict) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class SlotPool:
    """The seeder's free desk-times by organisation; each is handed out once."""

    def __init__(self, slots: list[dict]):
        self.by_organisation: dict[int, list[tuple[dict, tuple]]] = defaultdict(list)
        for slot in slots:
            self.by_organisation[slot["organisation_id"]].append((slot, _interval(slot)))

    def take(
        self, organisation_id: int, away_from: list[tuple], full_hubs: set[int] = frozenset()
    ) -> dict | None:
        """A slot of the organisation overlapping none of the intervals ``away_from`` and at
        none of ``full_hubs``, or None."""
        slots = self.by_organisation.get(organisation_id, [])
        for index, (slot, interval) in enumerate(slots):
            if slot["hub_id"] not in full_hubs and not any(
                _overlaps(interval, other) for other in away_from
            ):
                return slots.pop(index)[0]
        return None


def plan_rounds(pool: SlotPool, owners: list[list[dict]], count: int) -> list[list[list]]:
    """Rounds of (writer, slot) pairs per thread, ``count`` pairs in all (fewer if the slots run
    out). In a round a writer gets at most ACTIVE_PER_WRITER slots, none overlapping another,
    so that it never holds more bookings than a hub allows nor two at once; between rounds
    every booking is cancelled."""
    rounds = []
    planned = 0
    while owners and planned < count:
        hands: list[list] = [[] for _ in owners]
        held: dict[int, list[tuple]] = defaultdict(list)
        for _level in range(ACTIVE_PER_WRITER):
            for index in range(max(len(own) for own in owners)):
                for thread, own in enumerate(owners):
                    if index >= len(own) or planned >= count:
                        continue
                    writer = own[index]
                    slot = pool.take(writer["organisation_id"], held[writer["user_id"]])
                    if slot is not None:
                        held[writer["user_id"]].append(_interval(slot))
                        hands[thread].append((writer, slot))
                        planned += 1
        if not any(hands):
            break  # no writer finds a slot any more
        rounds.append(hands)
    return rounds


def _booking_call(writer: dict, slot: dict) -> Call:
    body = {"desk_id": slot["desk_id"], "start": slot["start"], "end": slot["end"]}
    return Call("POST", f"{API}/bookings", writer["token"], body)


def _created_id(sample: Sample) -> int | None:
    return json.loads(sample.body)["id"] if sample.status == 201 else None


def run_writes(
    base_url: str,
    seeded: Seeded,
    pool: SlotPool,
    *,
    count: int,
    warmup: int,
    clients: int = WRITE_CLIENTS,
) -> dict[str, Measurement]:
    """Create ``count`` bookings on free slots under ``clients`` concurrent writers, in rounds:
    each round creates, then cancels what it created. Every writer belongs to one thread.
    Bookings per second count the successful creates over the creating phases' wall time."""
    organisations = set(pool.by_organisation)
    writers = [w for w in seeded.writers if w["organisation_id"] in organisations]
    owners = [own for own in deal(writers, clients) if own]
    sessions = [requests.Session() for _ in owners]

    def do(thread: int, call: Call) -> Sample:
        return send(sessions[thread], base_url, call)

    def run_round(hands: list[list]) -> tuple[Measurement, Measurement]:
        creates = [[_booking_call(writer, slot) for writer, slot in hand] for hand in hands]
        results, started, ended = concurrently(creates, do)
        cancels = [
            [
                Call("DELETE", f"{API}/bookings/{booking_id}", writer["token"])
                for (writer, _slot), sample in zip(hand, samples, strict=True)
                if (booking_id := _created_id(sample)) is not None
            ]
            for hand, samples in zip(hands, results, strict=True)
        ]
        cancelled = _measurement(*concurrently(cancels, do))
        return _measurement(results, started, ended), cancelled

    for hands in plan_rounds(pool, owners, warmup):
        run_round(hands)
    created, cancelled = Measurement(), Measurement()
    rounds = plan_rounds(pool, owners, count)
    for hands in rounds:
        made, undone = run_round(hands)
        for total, part in ((created, made), (cancelled, undone)):
            total.samples += part.samples
            total.wall_s += part.wall_s
            total.started = total.started or part.started
            total.ended = part.ended
    for session in sessions:
        session.close()
    done = len(created.samples)
    if done < count:
        created.note = f"only {done} free slots left for {count} bookings"
    created.note = "; ".join(
        filter(None, [created.note, f"{len(owners)} clients, rounds: {len(rounds)}"])
    )
    successes = sum(s.status == 201 for s in created.samples)
    created.bookings_per_s = successes / created.wall_s if created.wall_s else 0.0
    return {"create_booking": created, "cancel_booking": cancelled}


# --- the race check ---------------------------------------------------------------------------


@dataclass
class Race:
    """The race check: per slot, how many answered 201, 409 or otherwise."""

    slots: int = 0
    passed: int = 0
    clients: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    winners: list[tuple[str, int]] = field(default_factory=list)  # (token, booking id)

    @property
    def ok(self) -> bool:
        return self.slots > 0 and self.passed == self.slots


def race_slots(seeded: Seeded, pool: SlotPool, n: int = RACE_SLOTS) -> list[dict]:
    """``n`` slots of the organisation with the most writers, taken before the writes: none
    overlapping another and at most ACTIVE_PER_WRITER at a hub, so one writer winning several
    races is never refused for its own bookings (that would be a 422, not a 409)."""
    writers = defaultdict(int)
    for writer in seeded.writers:
        writers[writer["organisation_id"]] += 1
    ranked = sorted(pool.by_organisation, key=lambda org: -writers[org])
    if not ranked or not writers[ranked[0]]:
        return []
    organisation = ranked[0]
    chosen: list[dict] = []
    per_hub: dict[int, int] = defaultdict(int)
    while len(chosen) < n:
        full = {hub for hub, taken in per_hub.items() if taken >= ACTIVE_PER_WRITER}
        slot = pool.take(organisation, [_interval(s) for s in chosen], full)
        if slot is None:
            break
        per_hub[slot["hub_id"]] += 1
        chosen.append(slot)
    return chosen


def run_race(
    base_url: str, seeded: Seeded, slots: list[dict], *, clients: int = WRITE_CLIENTS
) -> Race:
    """For each slot, ``clients`` distinct writers of its organisation POST it at once (released
    together by a barrier): exactly one must get 201, all others 409. The winners' bookings stay
    until cancel_winners, so that the overlap check in SQL sees them."""
    race = Race()
    sessions: dict[str, requests.Session] = defaultdict(requests.Session)
    for number, slot in enumerate(slots):
        mates = [w for w in seeded.writers if w["organisation_id"] == slot["organisation_id"]]
        start = number * clients % len(mates)
        racers = (mates[start:] + mates[:start])[:clients]
        barrier = threading.Barrier(len(racers))

        def do(_thread: int, writer: dict, slot=slot, barrier=barrier) -> Sample:
            session = sessions[writer["token"]]
            barrier.wait()
            return send(session, base_url, _booking_call(writer, slot))

        for racer in racers:  # made here: a defaultdict is not safe to fill from threads
            sessions[racer["token"]]
        results, _, _ = concurrently([[racer] for racer in racers], do)
        samples = [thread[0] for thread in results]
        statuses = [s.status for s in samples]
        race.slots += 1
        race.clients.append(len(racers))
        for racer, sample in zip(racers, samples, strict=True):
            if sample.status == 201:
                race.winners.append((racer["token"], _created_id(sample)))
        if statuses.count(201) == 1 and statuses.count(409) == len(racers) - 1:
            race.passed += 1
        else:
            odd = next((s.describe() for s in samples if s.status not in (201, 409)), "")
            race.failures.append(
                f"desk {slot['desk_id']} {slot['start']}: {statuses.count(201)} × 201, "
                f"{statuses.count(409)} × 409 of {len(racers)} {odd}".rstrip()
            )
    for session in sessions.values():
        session.close()
    return race


def cancel_winners(base_url: str, race: Race) -> int:
    """Cancel the bookings the races made (the slots are free again for the next run); the
    number that could not be cancelled."""
    failed = 0
    with requests.Session() as session:
        for token, booking_id in race.winners:
            sample = send(session, base_url, Call("DELETE", f"{API}/bookings/{booking_id}", token))
            failed += not sample.ok
    return failed


# --- running and reporting --------------------------------------------------------------------


def run_scenarios(
    base_url: str,
    seeded: Seeded,
    only: set[str],
    *,
    count: int,
    clients: int,
    write_clients: int = WRITE_CLIENTS,
    warmup: int = WARMUP,
) -> tuple[dict[str, Measurement], Race | None]:
    """Every chosen scenario in turn, then the race check (if chosen); each is printed as it
    ends. The race slots are set aside before the writes use the others."""
    pool = SlotPool(seeded.manifest["free_slots"])
    contested = race_slots(seeded, pool) if "race" in only else []
    measured: dict[str, Measurement] = {}
    for scenario in SCENARIOS:
        if scenario.name not in only or scenario.name in measured:
            continue
        if scenario.name in WRITES:
            print(f"  {'writes':<18} ...", end=" ", flush=True)
            parts = run_writes(
                base_url, seeded, pool, count=count, warmup=warmup, clients=write_clients
            )
            measured.update(parts)
            print(", ".join(_progress(name, m) for name, m in parts.items()))
        else:
            print(f"  {scenario.name:<18} ...", end=" ", flush=True)
            measured[scenario.name] = run_read(
                base_url, seeded, scenario, count=count, clients=clients, warmup=warmup
            )
            print(_progress(scenario.name, measured[scenario.name]))
        for name in WRITES if scenario.name in WRITES else (scenario.name,):
            if measured[name].first_error:
                print(f"    first error of {name}: {measured[name].first_error}")
    race = None
    if "race" in only:
        print(f"  {'race':<18} ...", end=" ", flush=True)
        race = run_race(base_url, seeded, contested, clients=write_clients)
        print(f"{race.passed}/{race.slots} slots with exactly one 201 and the rest 409")
        for failure in race.failures[:5]:
            print(f"    {failure}")
    return measured, race


def _progress(name: str, m: Measurement) -> str:
    p95 = percentile([s.ms for s in m.samples], 95)
    shown = f"{p95:.1f} ms" if p95 is not None else "-"
    return f"{name} n={len(m.samples)} p95={shown} errors={m.errors}"


def report_row(scenario: Scenario, m: Measurement, *, rss_growth_mb: float | None = None) -> dict:
    """The figures of one scenario as written to the JSON, with whether its target is met."""
    times = [s.ms for s in m.samples]
    row = {
        "label": scenario.seatsurfing,
        "n": len(times),
        "p50_ms": _round(percentile(times, 50)),
        "p95_ms": _round(percentile(times, 95)),
        "p99_ms": _round(percentile(times, 99)),
        "max_ms": _round(max(times, default=None)),
        "errors": m.errors,
        "first_error": m.first_error,
        "throughput_per_s": _round(len(times) / m.wall_s if m.wall_s else None),
        "seatsurfing_budget_ms": scenario.budget_ms,
        "target_p95_ms": scenario.target_ms,
        "target": _target_text(scenario),
    }
    met: bool | None = bool(times) and m.errors == 0
    if scenario.target_ms is not None:
        met = met and row["p95_ms"] <= scenario.target_ms
    if m.bookings_per_s is not None:
        row["bookings_per_s"] = _round(m.bookings_per_s)
        met = met and m.bookings_per_s >= MIN_BOOKINGS_PER_S
    if scenario.stream:
        row["bytes_per_request"] = round(sum(s.size for s in m.samples) / max(1, len(times)))
        row["first_byte_p50_ms"] = _round(percentile([s.first_byte_ms for s in m.samples], 50))
        row["first_byte_p95_ms"] = _round(percentile([s.first_byte_ms for s in m.samples], 95))
        row["worker_rss_growth_mb"] = _round(rss_growth_mb)
        # Not judged (None) without the memory figures, which only city.py takes.
        met = None if rss_growth_mb is None else met and rss_growth_mb < CSV_RSS_GROWTH_MB
    if m.note:
        row["note"] = m.note
    row["met"] = met
    return row


def _target_text(scenario: Scenario) -> str:
    if scenario.name == "create_booking":
        return f">= {MIN_BOOKINGS_PER_S} bookings/s, p95 <= {scenario.target_ms:g} ms"
    if scenario.stream:
        return "constant memory (a year's peak <= 2 x 30 days')"
    return f"p95 <= {scenario.target_ms:g} ms"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_table(rows: dict[str, dict]) -> None:
    """The scenarios as a table: times in ms, throughput in requests per second."""
    head = (
        f"{'scenario':<18} {'Seatsurfing (budget)':<28} {'n':>5} {'p50':>8} {'p95':>8} "
        f"{'p99':>8} {'max':>8} {'err':>4} {'req/s':>7}  {'target':<38} met"
    )
    print(head)
    print("-" * len(head))
    for name, row in rows.items():
        budget = f"{row['label']} ({row['seatsurfing_budget_ms']:g})" if row["label"] else ""
        print(
            f"{name:<18} {budget:<28} {row['n']:>5} {_ms(row['p50_ms'])} {_ms(row['p95_ms'])} "
            f"{_ms(row['p99_ms'])} {_ms(row['max_ms'])} {row['errors']:>4} "
            f"{_ms(row['throughput_per_s'], 7)}  {row['target']:<38} "
            f"{_verdict(row['met'])}"
        )
    for name, row in rows.items():
        extra = []
        if "bookings_per_s" in row:
            extra.append(f"{row['bookings_per_s']} bookings/s")
        if "bytes_per_request" in row:
            extra.append(
                f"{row['bytes_per_request']} bytes per request, first byte p50 "
                f"{row['first_byte_p50_ms']} ms / p95 {row['first_byte_p95_ms']} ms, "
                f"worker RSS growth {_ms(row['worker_rss_growth_mb'], 0)} MB"
            )
        if "note" in row:
            extra.append(row["note"])
        if extra:
            print(f"  {name}: " + "; ".join(extra))


def _verdict(met: bool | None) -> str:
    return "?" if met is None else "yes" if met else "NO"


def _ms(value: float | None, width: int = 8) -> str:
    return f"{value:>{width}.1f}" if value is not None else f"{'-':>{width}}"


def parse_only(text: str | None) -> set[str]:
    """The scenarios named in --only (comma-separated), or all; the writes go together."""
    if not text:
        return set(NAMES)
    chosen = {name.strip() for name in text.split(",") if name.strip()}
    unknown = chosen - set(NAMES)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}; known: {NAMES}")
    if chosen & set(WRITES):
        chosen |= set(WRITES)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--manifest", type=Path, required=True, help="bench/seed.py's manifest")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for reads")
    parser.add_argument("--write-clients", type=int, default=WRITE_CLIENTS)
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed requests first")
    parser.add_argument("--only", help=f"comma-separated, of: {','.join(NAMES)}")
    args = parser.parse_args()
    seeded = Seeded(json.loads(args.manifest.read_text()))
    measured, race = run_scenarios(
        args.base_url.rstrip("/"),
        seeded,
        parse_only(args.only),
        count=args.requests,
        clients=args.clients,
        write_clients=args.write_clients,
        warmup=args.warmup,
    )
    by_name = {s.name: s for s in SCENARIOS}
    print_table({name: report_row(by_name[name], m) for name, m in measured.items()})
    if race is not None:
        print(f"race check: {'pass' if race.ok else 'FAIL'} ({race.passed}/{race.slots})")
        cancel_winners(args.base_url.rstrip("/"), race)


if __name__ == "__main__":
    main()
