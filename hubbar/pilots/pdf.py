"""The pilot report as a PDF (A4, page numbers, vector charts, tables that break cleanly), written
with the generic :class:`hubbar.pdf.Document` from the same report and tables as every other
format."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from hubbar.formats import fmt_money
from hubbar.occupancy.definitions import BY_KEY
from hubbar.occupancy.tables import COUNT, DATE, FRACTION, HOURS, TEXT, UNIT, Table
from hubbar.occupancy.views import occupancy_charts
from hubbar.pdf import Document
from hubbar.pilots import tables as report_tables
from hubbar.pilots.report import Report

NUMBER_KINDS = {COUNT, FRACTION, HOURS, UNIT, report_tables.MONEY, report_tables.NUMBER}


def report_pdf(report: Report) -> bytes:
    tables = {t.key: t for t in report_tables.all_tables(report)}
    doc = Document(
        _("Evaluation report: %(pilot)s", pilot=report.name),
        subtitle=_period_line(report),
        language=str(get_locale() or "sv"),
        footer=f"hubbar · {report.name}",
        page_label=lambda n, total: _("Page %(n)d of %(total)d", n=n, total=total),
    )

    doc.heading(_("Summary"))
    doc.paragraph(_summary_line(report))
    if report.occupancy.partial:
        doc.paragraph(
            _("The pilot is still running: the figures count only up to the time generated."),
            italic=True,
        )
    _table(
        doc,
        tables["criteria"],
        ("name", "comparator", "target", "value", "outcome_text", "reason"),
        caption=True,
    )

    doc.heading(_("Terms of the pilot"))
    doc.facts([(row[1], row[2]) for row in report_tables.display_rows(tables["terms"])])

    doc.heading(_("Key figures"))
    _table(doc, tables["metrics"], ("name", "value", "definition"))

    doc.heading(_("Charts"))
    for chart in occupancy_charts(report.occupancy, report.access, len(report.hubs) > 1):
        doc.heading(chart.title, level=2)
        doc.chart(chart.svg, alt=chart.summary)

    doc.heading(_("Per organisation"))
    _table(
        doc,
        tables["organisations"],
        ("organisation", "users", "bookings", "booked_hours", "share_of_booked", "released"),
    )
    doc.heading(_("Per desk"))
    _table(
        doc,
        tables["desks"],
        ("desk", "capacity_hours", "booked_hours", "booking_rate", "utilisation", "desk_day_usage"),
    )
    doc.heading(_("Lead time and duration"))
    doc.facts(
        [
            (report_tables.metric_name(key), report_tables.metric_text(key, report.value(key)))
            for key in (
                "lead_time_median_hours",
                "lead_time_p90_hours",
                "mean_duration_hours",
                "median_duration_hours",
            )
        ]
    )
    _table(doc, tables["lead_times"], ("lead_time", "bookings"))

    doc.heading(_("Feedback"))
    _table(doc, tables["satisfaction"], ("name", "value"))
    if tables["comments"].rows:
        doc.heading(_("Comments (without names)"), level=2)
        _table(doc, tables["comments"], ("date", "rating", "comment"))

    doc.heading(_("Unmet demand and desks needed"))
    doc.facts(
        [
            (report_tables.metric_name(key), report_tables.metric_text(key, report.value(key)))
            for key in ("demand_misses", "turned_away_rate", "max_daily_peak", "desks_needed")
        ]
    )
    doc.paragraph(str(BY_KEY["desks_needed"].definition), small=True)

    doc.heading(_("Cost-sharing scenarios"))
    doc.paragraph(
        _(
            "What each model would have charged each organisation for the pilot; the hub cost "
            "for the period is %(cost)s.",
            cost=fmt_money(report.hub_cost),
        )
    )
    for scenario in report.scenarios:
        doc.heading(scenario.model.label, level=2)
        doc.paragraph(scenario.description)
        doc.table(
            [_("Organisation"), _("Basis"), _("Amount")],
            [
                [
                    share.organisation_name,
                    report_tables.display(share.basis, report_tables.NUMBER),
                    report_tables.display(share.amount, report_tables.MONEY),
                ]
                for share in scenario.shares
            ],
            align=["L", "R", "R"],
        )
    if tables["time_bank"].rows:
        doc.heading(_("Time bank balances"), level=2)
        _table(doc, tables["time_bank"], ("debtor", "creditor", "hours", "amount"))

    doc.heading(_("Changes to the criteria after the start"))
    if tables["criterion_changes"].rows:
        _table(doc, tables["criterion_changes"], ("changed_at", "before", "after"))
    else:
        doc.paragraph(_("The criteria were not changed after the pilot started."))

    doc.heading(_("Data quality"))
    _table(doc, tables["data_quality"], ("name", "value"))
    return doc.output()


def _period_line(report: Report) -> str:
    period = f"{report.first.isoformat()} – {report.last.isoformat()}"
    if report.version is None:
        return _("%(period)s · preview, not stored", period=period)
    return _("%(period)s · version %(n)d", period=period, n=report.version)


def _summary_line(report: Report) -> str:
    if not report.criteria:
        return _("The pilot has no evaluation criteria.")
    return _("%(met)d of %(total)d criteria met.", met=report.met, total=len(report.criteria))


def _table(doc: Document, table: Table, keys: tuple[str, ...], caption: bool = False) -> None:
    """Some columns of a report table, formatted as the page shows them; with ``caption``,
    the table's title above it (where the heading before it says something else)."""
    index = {key: i for i, key in enumerate(table.keys)}
    unit_index = index.get("unit")
    columns = [table.headers[index[key]] for key in keys]
    rows = []
    for row in table.rows:
        unit = row[unit_index] if unit_index is not None else None
        rows.append([report_tables.display(row[index[c.key]], c.kind, unit) for c in columns])
    align = ["R" if c.kind in NUMBER_KINDS else "L" for c in columns]
    if columns and columns[0].kind not in (TEXT, DATE):
        align[0] = "R"
    title = str(table.title) if caption else ""
    doc.table([str(c.title) for c in columns], rows, align=align, caption=title)
