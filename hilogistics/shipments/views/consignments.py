"""Inbound consignments: plan one (expected lines, with paste), and the pipeline of what is due.

Receiving against a plan is the shipment's receive form; closing it is on its page.
"""

from collections.abc import Callable

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import STAFF, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.i18n import current_locale
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.files import HEADER_COLUMNS
from hilogistics.lines.importing import LinesImport, normalised
from hilogistics.lines.parsing import RECEIPT_COLUMNS, Row, parse_date, parse_quantity
from hilogistics.locations.queries import warehouses_query
from hilogistics.shipments import queries, services
from hilogistics.shipments.forms import (
    MAX_FORM_LINES,
    MORE_LINES,
    PLAN_LINE_FIELDS,
    PlanForm,
)
from hilogistics.shipments.labels import STATUS_LABELS
from hilogistics.shipments.models import Shipment, ShipmentStatus
from hilogistics.shipments.views.blueprint import bp
from hilogistics.shipments.views.lines import (
    edit_form,
    form_data,
    form_with_lines,
    grant_choices,
    handle_lines,
    import_routes,
    lines_page,
    pasted_lines,
)
from hilogistics.shipments.views.pages import loaded_shipment
from hilogistics.stock.queries import RowPage
from hilogistics.views_support import page_args

PLAN_COLUMNS = tuple(c for c in RECEIPT_COLUMNS if c.key in ("code", "quantity", "lot", "expiry"))
READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})


def _fill_choices(form: PlanForm) -> None:
    locale = current_locale()
    form.destination_id.choices = [SelectChoice("", _("— choose a warehouse —"))] + [
        SelectChoice(str(w.id), w.display_name(locale))
        for w in db.session.scalars(warehouses_query())
    ]
    form.grant_id.choices = grant_choices()


def _check_lines(
    form: PlanForm, *, whole_form: bool
) -> tuple[list[services.DraftLine], list[int], bool]:
    """Every line checked in one pass: (lines read, their positions, any error)."""
    validate_lines(form, whole_form=whole_form)
    filled = form.filled_lines()
    items = resolve_items(filled)
    lines: list[services.DraftLine] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is None or any(f.errors for f in line):
            continue
        lines.append(
            services.DraftLine(
                item_id=item.id,
                quantity=line.quantity.data or 0,
                lot_code=line.lot_code.data or "",
                expires_on=line.expires_on.data,
            )
        )
        positions.append(index)
    if not filled and whole_form:
        form.form_errors.append(_("Enter at least one line."))
    failed = bool(form.form_errors) or any(f.errors for f in form if f.type != "FieldList")
    failed = failed or any(f.errors for _index, line in filled for f in line)
    return lines, positions, failed


def _line_from_row(row: Row) -> dict[str, str]:
    return {
        "item": row.get("code").upper(),
        "quantity": normalised(row.get("quantity"), parse_quantity),
        "lot_code": row.get("lot"),
        "expires_on": normalised(row.get("expiry"), parse_date),
    }


PLAN_IMPORT = LinesImport(
    columns=(*PLAN_COLUMNS, *HEADER_COLUMNS),
    line_fields=PLAN_LINE_FIELDS,
    line_from_row=_line_from_row,
    shown=(
        ("quantity", _l("Quantity")),
        ("lot_code", _l("Lot code")),
        ("expires_on", _l("Expiry date")),
    ),
    example=("MED-PARA-500", 1000, "B2407-11", "2027-05-31", "UNICEF", "WB-2026-041"),
    max_lines=MAX_FORM_LINES,
    form_endpoint="shipments.plan_new",
    import_endpoint="shipments.plan_import",
    template_endpoint="shipments.plan_import_template",
    title=_l("Import a consignment's packing list"),
    intro=_l(
        "Upload the donor's or supplier's packing list as a CSV file (UTF-8) or an XLSX "
        "workbook. You will first see each row and its problems; then its lines go into a new "
        "consignment plan, where you choose the warehouse, check the lines and save."
    ),
    columns_help=_l(
        "Columns: item code, quantity, lot code, expiry date (YYYY-MM-DD), and optionally "
        "supplier or donor and reference. The headings may be in English, Korean or French."
    ),
)


def _with_pasted(form: PlanForm) -> PlanForm:
    """The form again with pasted rows (or a previewed file's lines) as lines to check."""
    lines = pasted_lines(form, PLAN_LINE_FIELDS, PLAN_COLUMNS, _line_from_row)
    if lines is None:
        return form
    shown = PlanForm(formdata=form_with_lines(lines, PLAN_LINE_FIELDS))
    _fill_choices(shown)
    _check_lines(shown, whole_form=False)
    return shown


def _header(form: PlanForm) -> services.Header:
    return services.Header(
        supplier=form.supplier.data or "",
        grant_id=form.grant_id.data,
        reference=form.reference.data or "",
        carrier=form.carrier.data or "",
        expected_on=form.expected_on.data,
        note=form.note.data or "",
    )


def _handle(
    form: PlanForm, save: Callable[[list[services.DraftLine]], Shipment], message: str
) -> Response | PlanForm:
    return handle_lines(
        form, check=_check_lines, with_pasted=_with_pasted, save=save, message=message
    )


def _plan_page(form: PlanForm, shipment: Shipment | None, action: str) -> str:
    return render_template(
        "shipments/plan.html",
        form=form,
        shipment=shipment,
        action=action,
        can_add_lines=len(form.lines.entries) < MAX_FORM_LINES,
        max_lines=MAX_FORM_LINES,
        more_lines=MORE_LINES,
    )


@bp.route("/shipments/consignments/new", methods=["GET", "POST"])
@allow(STAFF)
def plan_new() -> Response | str:
    """Plan a consignment expected from a supplier or donor; posts nothing until it arrives."""
    form = PlanForm()
    _fill_choices(form)
    return lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.plan_consignment(
                actor=acting_user(),
                destination_id=form.destination_id.data,  # type: ignore[arg-type]
                lines=lines,
                header=_header(form),
                operation_key=form.operation_key.data or "",
            ),
            _("Consignment planned."),
        ),
        lambda form: _plan_page(form, None, url_for("shipments.plan_new")),
    )


def _plan_data(shipment: Shipment) -> MultiDict:
    """A plan as the form posts it, to edit it."""
    data = MultiDict(
        {
            "destination_id": str(shipment.destination_id),
            "supplier": shipment.supplier,
            "grant_id": str(shipment.grant_id or ""),
            "reference": shipment.reference,
            "carrier": shipment.carrier,
            "expected_on": shipment.expected_on.isoformat() if shipment.expected_on else "",
            "note": shipment.note,
        }
    )
    lines = [
        {
            "item": line.item.code,
            "quantity": str(line.quantity),
            "lot_code": line.lot_code,
            "expires_on": line.expires_on.isoformat() if line.expires_on else "",
        }
        for line in shipment.lines
    ]
    return form_data(data, lines, PLAN_LINE_FIELDS)


@bp.route("/shipments/consignments/<int:shipment_id>/edit", methods=["GET", "POST"])
@allow(STAFF)
def plan_edit(shipment_id: int) -> Response | str:
    """Edit a consignment plan nothing was received against: header and expected lines."""
    shipment = loaded_shipment(shipment_id)
    if not shipment.is_inbound or shipment.status is not ShipmentStatus.DRAFT:
        return redirect(url_for("shipments.page", shipment_id=shipment.id))
    form = edit_form(PlanForm, shipment, _plan_data)
    _fill_choices(form)
    return lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.update_draft(
                actor=acting_user(),
                shipment_id=shipment.id,
                destination_id=form.destination_id.data,
                lines=lines,
                header=_header(form),
            ),
            _("Consignment plan saved."),
        ),
        lambda form: _plan_page(
            form, shipment, url_for("shipments.plan_edit", shipment_id=shipment.id)
        ),
    )


import_routes(
    PLAN_IMPORT,
    "/shipments/consignments/import",
    "Read a consignment's packing list and preview its lines; confirming puts them in a plan.",
)


@bp.get("/shipments/consignments")
@allow(READERS)
def pipeline() -> str:
    """Consignments expected or partly received, overdue first, then by expected date."""
    page_number, per_page = page_args()
    page = RowPage(
        queries.expected_consignments_query(),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row[0],
    )
    return render_template(
        "shipments/pipeline.html", page=page, today=business_today(), status_labels=STATUS_LABELS
    )
