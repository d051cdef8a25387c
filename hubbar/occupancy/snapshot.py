"""An :class:`~hubbar.occupancy.metrics.Occupancy` as plain JSON data and back.

A stored pilot report keeps the figures it was built from, not the words around them: the
snapshot holds numbers, dates and keys only, so that the same stored report can be written out
in Swedish or English later, and every format (page, PDF, XLSX, CSV, JSON) is written from the
same numbers. The hubs are kept as the few facts the tables and texts need.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from hubbar.occupancy.metrics import (
    DayRow,
    DeskRow,
    GroupRow,
    Metric,
    Occupancy,
    OrganisationRow,
)


@dataclass(frozen=True)
class HubFacts:
    """What a stored report keeps of a hub (it may be renamed or removed later)."""

    id: int
    name: str
    address: str
    timezone: str
    desks: int


def facts(hub) -> HubFacts:
    """The facts of a hub (or the stored facts themselves)."""
    if isinstance(hub, HubFacts):
        return hub
    return HubFacts(hub.id, hub.name, hub.address, hub.timezone, len(hub.active_desks))


def to_data(result: Occupancy) -> dict:
    return {
        "hubs": [asdict(facts(h)) for h in result.hubs],
        "first": result.first.isoformat(),
        "last": result.last.isoformat(),
        "counted_until": result.counted_until.isoformat(),
        "partial": result.partial,
        "organisation_ids": list(result.organisation_ids)
        if result.organisation_ids is not None
        else None,
        "metrics": {key: metric.value for key, metric in result.metrics.items()},
        "days": [_row(r) for r in result.days],
        "weeks": [_row(r) for r in result.weeks],
        "weekdays": [_row(r) for r in result.weekdays],
        "hours": [_row(r) for r in result.hours],
        "heatmap": [[wd, h, v] for (wd, h), v in sorted(result.heatmap.items())],
        "organisations": [_row(r) for r in result.organisations],
        "desks": [_row(r) for r in result.desks],
        "lead_times": [[bucket, n] for bucket, n in result.lead_times],
        "closed_day_misses": result.closed_day_misses,
        "hidden_organisations": sorted(result.hidden_organisations),
        "suppressed_metrics": sorted(result.suppressed_metrics),
    }


def from_data(data: dict) -> Occupancy:
    result = Occupancy(
        hubs=[HubFacts(**h) for h in data["hubs"]],
        first=date.fromisoformat(data["first"]),
        last=date.fromisoformat(data["last"]),
        counted_until=datetime.fromisoformat(data["counted_until"]),
        partial=data["partial"],
        organisation_ids=tuple(data["organisation_ids"])
        if data["organisation_ids"] is not None
        else None,
    )
    result.metrics = {key: Metric(key, value) for key, value in data["metrics"].items()}
    result.days = [_unrow(DayRow, r) for r in data["days"]]
    result.weeks = [_unrow(GroupRow, r) for r in data["weeks"]]
    result.weekdays = [_unrow(GroupRow, r) for r in data["weekdays"]]
    result.hours = [_unrow(GroupRow, r) for r in data["hours"]]
    result.heatmap = {(wd, h): v for wd, h, v in data["heatmap"]}
    result.organisations = [_unrow(OrganisationRow, r) for r in data["organisations"]]
    result.desks = [_unrow(DeskRow, r) for r in data["desks"]]
    result.lead_times = [(bucket, n) for bucket, n in data["lead_times"]]
    result.closed_day_misses = data["closed_day_misses"]
    result.hidden_organisations = set(data["hidden_organisations"])
    result.suppressed_metrics = set(data["suppressed_metrics"])
    return result


def _row(row) -> dict:
    values = {}
    for f in fields(row):
        value = getattr(row, f.name)
        if isinstance(value, date):
            value = {"date": value.isoformat()}
        elif isinstance(value, tuple):
            value = {"tuple": list(value)}
        values[f.name] = value
    return values


def _unrow(cls, values: dict):
    decoded = {}
    for name, value in values.items():
        if isinstance(value, dict) and "date" in value:
            value = date.fromisoformat(value["date"])
        elif isinstance(value, dict) and "tuple" in value:
            value = tuple(value["tuple"])
        decoded[name] = value
    return cls(**decoded)
