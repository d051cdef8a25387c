"""Print the results of bench/city.py as the Markdown table of bench/README.md.

    python bench/table.py bench/results/S.json bench/results/M.json [bench/results/L.json]

One row per scenario: Seatsurfing's budget, the target, and p50 / p95 per scale with "met" for
the target's scale (M), so the README's figures are the measured ones, copied, not typed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET_SCALE = "M"


def load(paths: list[str]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def figure(row: dict | None) -> str:
    if row is None:
        return "–"
    if row.get("bookings_per_s") is not None:
        return f"{row['p50_ms']:.0f} / {row['p95_ms']:.0f} ({row['bookings_per_s']:.0f}/s)"
    return f"{row['p50_ms']:.0f} / {row['p95_ms']:.0f}"


def table(results: list[dict]) -> str:
    scales = [r["scale"] for r in results]
    header = ["scenario", "Seatsurfing (p95 budget)", "target (M, p95)"]
    header += [f"{s}: p50 / p95 ms" for s in scales] + ["met at M"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    names = list(results[0]["scenarios"])
    target = next((r for r in results if r["scale"] == TARGET_SCALE), None)
    for name in names:
        first = results[0]["scenarios"][name]
        budget = first.get("seatsurfing_budget_ms")
        label = first.get("label") or ""
        seatsurfing = f"{label} ({budget:,} ms)" if budget else "–"
        met = "–"
        if target is not None:
            met = "yes" if target["scenarios"][name]["met"] else "**no**"
        cells = [f"`{name}`", seatsurfing, first["target"]]
        cells += [figure(r["scenarios"].get(name)) for r in results] + [met]
        lines.append("| " + " | ".join(cells) + " |")
    memory = [f"{max(r['worker_rss_max_mb'].values()):.0f} MB" for r in results]
    met = "–" if target is None else "yes" if target["worker_rss_met"] else "**no**"
    lines.append(
        "| " + " | ".join(["worker memory (max RSS)", "–", "≤ 200 MB", *memory, met]) + " |"
    )
    return "\n".join(lines)


def notes(results: list[dict]) -> str:
    out = []
    for r in results:
        limit = r.get("physical_limit") or {}
        race = r["race"]
        out.append(
            f"- {r['scale']} ({r['date'][:10]}, {r['counts']['bookings']:,} bookings): "
            f"physical limit {limit.get('inserts_per_s', 0):,.0f} single-row inserts/s; hubbar "
            f"{r['scenarios']['create_booking'].get('bookings_per_s', 0):.0f} bookings/s = "
            f"{(r.get('write_ratio') or 0) * 100:.1f} %; race check "
            f"{'passed' if race['passed'] else 'FAILED'} ({race['passed_slots']}/{race['slots']} "
            f"slots, overlaps desk {race['overlaps']['desk']}, person {race['overlaps']['user']})"
        )
    return "\n".join(out)


def main() -> None:
    results = load(sys.argv[1:])
    print(table(results))
    print()
    print(notes(results))


if __name__ == "__main__":
    main()
