"""Collaboration agreements and the charging basis.

System admins create, edit and end a hub's agreement; the hub's managers read it. The
agreement page shows the charging basis of a quarter, downloadable as XLSX and CSV for the
controllers who invoice.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook
from openpyxl.styles import Font

from hubbar.accounts.operations import list_organisations
from hubbar.costs import operations as ops
from hubbar.costs.forms import AgreementForm, EndAgreementForm
from hubbar.costs.models import Agreement, CostKey
from hubbar.errors import DomainError, InvalidInput
from hubbar.formats import fmt_number, local_today
from hubbar.hubs.operations import get_hub, managed_hubs
from hubbar.occupancy.exports import XLSX_MIMETYPE, csv_response
from hubbar.pilots.models import ChargingModel
from hubbar.web import form_error, int_arg

bp = Blueprint("costs", __name__)

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
HOURS_FORMAT = "0.00"
CSV_COLUMNS = [
    "quarter",
    "from",
    "to",
    "hub",
    "model",
    "key",
    "organisation_id",
    "organisation",
    "basis",
    "unit",
    "rate",
    "amount",
]


def _require_admin() -> None:
    if not current_user.is_system_admin:
        abort(403)


def _agreement(agreement_id: int) -> Agreement:
    return ops.get_agreement_for(current_user, agreement_id)


# --- list and detail -----------------------------------------------------------------------


@bp.get("/agreements")
@login_required
def index():
    if not ops.may_list(current_user):
        abort(403)
    today = local_today()
    return render_template(
        "costs/index.html",
        agreements=ops.list_agreements(current_user),
        without=ops.hubs_without_agreement(current_user, today),
        today=today,
        in_force=ops.is_in_force,
    )


def _chosen_quarter(agreement: Agreement, today: date) -> str:
    """The quarter asked for, checked (InvalidInput when it is not one), or the default."""
    asked = request.args.get("quarter")
    if not asked:
        return ops.default_quarter(agreement, today)
    first, _last = ops.quarter_dates(asked)
    return ops.quarter_of(first)


def _basis_or_redirect(agreement: Agreement, need_cover: bool):
    """The charging basis of the quarter asked for, or a redirect to the agreement page with
    a message when the quarter is not one (or, for a download, not covered)."""
    today = local_today(agreement.hub.timezone)
    try:
        quarter = _chosen_quarter(agreement, today)
    except InvalidInput as error:
        flash(str(error.message), "error")
        return None, redirect(url_for("costs.detail", agreement_id=agreement.id))
    basis = ops.charging_basis(agreement, quarter)
    if need_cover and not basis.covered:
        flash(_("The agreement does not cover %(quarter)s.", quarter=quarter), "error")
        return None, redirect(url_for("costs.detail", agreement_id=agreement.id))
    return basis, None


@bp.get("/agreements/<int:agreement_id>")
@login_required
def detail(agreement_id: int):
    agreement = _agreement(agreement_id)
    basis, refusal = _basis_or_redirect(agreement, need_cover=False)
    if refusal is not None:
        return refusal
    today = local_today(agreement.hub.timezone)
    end_form = EndAgreementForm(formdata=None, data={"end_date": ops.notice_date(agreement, today)})
    return _detail_page(agreement, basis, end_form)


def _detail_page(agreement: Agreement, basis: ops.ChargingBasis, end_form, status: int = 200):
    today = local_today(agreement.hub.timezone)
    return (
        render_template(
            "costs/detail.html",
            agreement=agreement,
            basis=basis,
            rows=_rows(basis.scenario) if basis.scenario else [],
            basis_title=_basis_title(basis.scenario) if basis.scenario else "",
            quarters=ops.quarters_of(agreement, today),
            in_force=ops.is_in_force(agreement, today),
            today=today,
            notice_date=ops.notice_date(agreement, today),
            end_form=end_form,
            unit_names=_unit_names(),
            number=fmt_number,
        ),
        status,
    )


def _unit_names() -> dict[str, str]:
    return {
        "hour": _("per hour"),
        "user": _("per user"),
        "head": _("per head"),
        "booking": _("per booking"),
        "organisation": _("per organisation"),
        "": "",
    }


def _basis_title(scenario: ops.Scenario) -> str:
    """What the basis column holds under the scenario's model and key."""
    if scenario.key is not None:
        return scenario.key.label
    if scenario.model is ChargingModel.PER_BOOKING:
        return _("Bookings")
    if scenario.model is ChargingModel.TIME_BANK:
        return _("Net desk-hours")
    return _("Basis")


def _basis_text(scenario: ops.Scenario, basis: float | None) -> str:
    if basis is None:
        return "–"
    if scenario.rate_unit == "hour":
        return fmt_number(basis, 2)
    return fmt_number(basis, 0)


def _rows(scenario: ops.Scenario) -> list[tuple[ops.Share, str]]:
    return [(share, _basis_text(scenario, share.basis)) for share in scenario.shares]


@bp.post("/agreements/<int:agreement_id>/end")
@login_required
def end(agreement_id: int):
    _require_admin()
    agreement = _agreement(agreement_id)
    form = EndAgreementForm()
    if form.validate_on_submit():
        try:
            ops.end_agreement(current_user, agreement, form.end_date.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(
                _("The agreement ends on %(day)s.", day=form.end_date.data.isoformat()), "success"
            )
            return redirect(url_for("costs.detail", agreement_id=agreement.id))
    basis = ops.charging_basis(
        agreement, ops.default_quarter(agreement, local_today(agreement.hub.timezone))
    )
    return _detail_page(agreement, basis, form, 422)


# --- create and edit -----------------------------------------------------------------------


def _form(agreement: Agreement | None, hub_id: int | None) -> AgreementForm:
    organisations = list_organisations()
    hubs = managed_hubs(current_user)
    if request.method == "POST":
        form = AgreementForm()
    elif agreement is not None:
        form = AgreementForm(
            data={
                "hub_id": agreement.hub_id,
                "model": agreement.model.value,
                "key": agreement.key.value if agreement.key else "",
                "cost_per_desk_month": agreement.cost_per_desk_month,
                "fixed_cost_per_month": agreement.fixed_cost_per_month,
                "price_per_booking": agreement.price_per_booking,
                "start_date": agreement.start_date,
                "end_date": agreement.end_date,
                "notice_months": agreement.notice_months,
                "notes": agreement.notes,
                "follow_ups": [{"day": f.day, "note": f.note} for f in agreement.follow_ups],
                "headcounts": _headcount_rows(organisations, agreement),
            }
        )
    else:
        data = {"headcounts": _headcount_rows(organisations, None)}
        hub = next((h for h in hubs if h.id == hub_id), None)
        if hub is not None:  # the hub's own cost parameters, to start from
            data |= {
                "hub_id": hub.id,
                "cost_per_desk_month": hub.cost_per_desk_month,
                "fixed_cost_per_month": hub.fixed_cost_per_month,
                "price_per_booking": Decimal("0.00"),
                "start_date": local_today(hub.timezone),
            }
        form = AgreementForm(data=data)
    form.hub_id.choices = [(h.id, h.name) for h in hubs]
    if agreement is None:  # nothing chosen yet: the first option asks for a choice
        form.hub_id.choices = [(0, _("Choose a hub"))] + form.hub_id.choices
    form.organisation_names = {o.id: o.name for o in organisations}
    return form


def _headcount_rows(organisations, agreement: Agreement | None) -> list[dict]:
    counts = {h.organisation_id: h.headcount for h in agreement.headcounts} if agreement else {}
    return [{"organisation_id": o.id, "headcount": counts.get(o.id)} for o in organisations]


def _terms(form: AgreementForm) -> ops.AgreementTerms:
    headcounts: dict[int | None, int | None] = {}
    for row in form.headcounts:
        org_id, n = row.organisation_id.data, row.headcount.data
        if org_id is None and n is None:
            continue
        headcounts[org_id] = n
    return ops.AgreementTerms(
        hub=get_hub(form.hub_id.data),
        model=ChargingModel(form.model.data),
        key=CostKey(form.key.data) if form.key.data else None,
        cost_per_desk_month=form.cost_per_desk_month.data,
        fixed_cost_per_month=form.fixed_cost_per_month.data,
        price_per_booking=form.price_per_booking.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        notice_months=form.notice_months.data,
        notes=form.notes.data or "",
        follow_ups=[(row.day.data, row.note.data or "") for row in form.follow_ups],
        headcounts=headcounts,
    )


def _place_error(form: AgreementForm, error: DomainError) -> None:
    """A domain error next to its field: a follow-up row's field ("follow_ups-1-day"), the
    headcounts as a group, or a plain field."""
    name = error.field or ""
    if name.startswith("follow_ups-"):
        _group, index, sub = name.split("-", 2)
        rows = list(form.follow_ups)
        if index.isdigit() and int(index) < len(rows):
            target = rows[int(index)][sub]
            target.errors = [*target.errors, str(error.message)]
            return
    if name in ("headcounts", "follow_ups"):
        form.group_errors.setdefault(name, []).append(str(error.message))
        return
    form_error(form, error)


@bp.route("/agreements/new", methods=["GET", "POST"])
@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@login_required
def edit(agreement_id: int | None = None):
    _require_admin()
    agreement = _agreement(agreement_id) if agreement_id is not None else None
    hub_id = int_arg("hub") or None
    form = _form(agreement, hub_id)
    if form.validate_on_submit():
        try:
            terms = _terms(form)
            if agreement is None:
                agreement = ops.create_agreement(current_user, terms)
                flash(_("The agreement for %(hub)s is created.", hub=agreement.hub.name), "success")
            else:
                ops.update_agreement(current_user, agreement, terms)
                flash(_("The agreement for %(hub)s is saved.", hub=agreement.hub.name), "success")
        except DomainError as error:
            _place_error(form, error)
        else:
            return redirect(url_for("costs.detail", agreement_id=agreement.id))
    form.add_blank_follow_ups()
    status = 422 if request.method == "POST" else 200
    return render_template("costs/form.html", agreement=agreement, form=form), status


# --- downloads -----------------------------------------------------------------------------


def _filename(basis: ops.ChargingBasis, extension: str) -> str:
    return f"hubbar-charging-basis-{basis.agreement.id}-{basis.quarter}.{extension}"


@bp.get("/agreements/<int:agreement_id>/basis.csv")
@login_required
def basis_csv(agreement_id: int):
    agreement = _agreement(agreement_id)
    basis, refusal = _basis_or_redirect(agreement, need_cover=True)
    if refusal is not None:
        return refusal
    scenario = basis.scenario
    rows = [
        [
            basis.quarter,
            basis.first,
            basis.last,
            agreement.hub.name,
            scenario.model.value,
            scenario.key.value if scenario.key else "",
            share.organisation_id,
            share.organisation_name,
            share.basis,
            scenario.rate_unit,
            # Amounts as numbers with a decimal point (a Decimal would be written as text).
            float(scenario.rate) if scenario.rate is not None else None,
            float(share.amount),
        ]
        for share in scenario.shares
    ]
    return csv_response(CSV_COLUMNS, rows, _filename(basis, "csv"))


@bp.get("/agreements/<int:agreement_id>/basis.xlsx")
@login_required
def basis_xlsx(agreement_id: int):
    agreement = _agreement(agreement_id)
    basis, refusal = _basis_or_redirect(agreement, need_cover=True)
    if refusal is not None:
        return refusal
    return Response(
        _workbook(basis),
        content_type=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{_filename(basis, "xlsx")}"'},
    )


BOLD = Font(bold=True)


def _put(sheet, row: int, column: int, value, number_format: str | None = None, bold=False):
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text, whatever it starts with ("=…" is no formula)
    elif number_format and value is not None:
        cell.number_format = number_format
    if bold:
        cell.font = BOLD
    return cell


def _workbook(basis: ops.ChargingBasis) -> bytes:
    """The charging basis as one sheet: the terms, then one row per organisation with its
    basis and amount (and for a time bank, the balance of each pair)."""
    agreement, scenario = basis.agreement, basis.scenario
    book = Workbook()
    sheet = book.active
    sheet.title = _("Charging basis")[:31]
    for letter, width in zip("ABCD", (34, 16, 20, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    units = _unit_names()
    rate_unit = units.get(scenario.rate_unit, "")
    facts = [
        (_("Charging basis"), None, None, None),
        (_("Hub"), agreement.hub.name, None, None),
        (_("Host organisation"), agreement.hub.host_organisation.name, None, None),
        (_("Charging model"), agreement.model.label, None, None),
        (_("Key"), agreement.key.label if agreement.key else "–", None, None),
        (_("Quarter"), basis.quarter, None, None),
        (_("From"), basis.first, DATE_FORMAT, None),
        (_("To"), basis.last, DATE_FORMAT, None),
        (_("Active desks"), basis.desks, "0", None),
        (_("Cost per desk and month (SEK)"), agreement.cost_per_desk_month, AMOUNT_FORMAT, None),
        (_("Fixed hub cost per month (SEK)"), agreement.fixed_cost_per_month, AMOUNT_FORMAT, None),
        (_("Hub cost for the period (SEK)"), basis.cost, AMOUNT_FORMAT, None),
        (_("Rate (SEK)"), scenario.rate, AMOUNT_FORMAT, rate_unit),
        (_("How"), scenario.description, None, None),
    ]
    if basis.partial:
        facts.append(("", _("The quarter is not over: usage counts only up to now."), None, None))
    row = 1
    for label, value, number_format, note in facts:
        _put(sheet, row, 1, label, bold=True)
        if value is not None:
            _put(sheet, row, 2, value, number_format)
        if note:
            _put(sheet, row, 3, note)
        row += 1
    row += 1
    for column, title in enumerate(
        (_("Organisation"), _basis_title(scenario), _("Rate (SEK)"), _("Amount (SEK)")), start=1
    ):
        _put(sheet, row, column, title, bold=True)
    row += 1
    basis_format = HOURS_FORMAT if scenario.rate_unit == "hour" else "0"
    for share in scenario.shares:
        _put(sheet, row, 1, share.organisation_name)
        _put(sheet, row, 2, share.basis, basis_format)
        _put(sheet, row, 3, scenario.rate, AMOUNT_FORMAT)
        _put(sheet, row, 4, share.amount, AMOUNT_FORMAT)
        row += 1
    _put(sheet, row, 1, _("Total"), bold=True)
    _put(sheet, row, 4, scenario.charged, AMOUNT_FORMAT).font = BOLD
    if scenario.balances:
        row += 2
        for column, title in enumerate(
            (_("Owes"), _("To"), _("Net desk-hours"), _("Amount (SEK)")), start=1
        ):
            _put(sheet, row, column, title, bold=True)
        for balance in scenario.balances:
            row += 1
            _put(sheet, row, 1, balance.debtor_name)
            _put(sheet, row, 2, balance.creditor_name)
            _put(sheet, row, 3, balance.hours, HOURS_FORMAT)
            _put(sheet, row, 4, balance.amount, AMOUNT_FORMAT)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
