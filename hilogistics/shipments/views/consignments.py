"""Inbound consignments: plan one (expected lines, with paste), and the pipeline of what is due.

Receiving against a plan is the shipment's receive form; closing it is on its page.
"""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import STAFF, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.formdata import is_blank, line_values, with_lines
from hilogistics.lines.parsing import (
    RECEIPT_COLUMNS,
    InputError,
    Row,
    parse_date,
    parse_quantity,
    read_rows,
)
from hilogistics.locations.queries import warehouses_query
from hilogistics.shipments import queries, services
from hilogistics.shipments.forms import (
    FIRST_LINES,
    MAX_FORM_LINES,
    MORE_LINES,
    PLAN_LINE_FIELDS,
    PlanForm,
)
from hilogistics.shipments.labels import STATUS_LABELS
from hilogistics.shipments.views.blueprint import bp
from hilogistics.shipments.views.drafts import _form_field
from hilogistics.stock.queries import RowPage
from hilogistics.stock.queries.operations import active_grants
from hilogistics.views_support import page_args, submit

PLAN_COLUMNS = tuple(c for c in RECEIPT_COLUMNS if c.key in ("code", "quantity", "lot", "expiry"))
READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})


def _fill_choices(form: PlanForm) -> None:
    locale = current_locale()
    form.destination_id.choices = [SelectChoice("", _("— choose a warehouse —"))] + [
        SelectChoice(str(w.id), w.display_name(locale))
        for w in db.session.scalars(warehouses_query())
    ]
    form.grant_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(g.id), f"{g.code} · {g.donor}") for g in active_grants()
    ]


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
    def normal(text: str, parse: object) -> str:
        try:
            value = parse(text) if text else None  # type: ignore[operator]
        except InputError:
            return text  # shown as typed, with the field's message
        return "" if value is None else getattr(value, "isoformat", value.__str__)()

    return {
        "item": row.get("code").upper(),
        "quantity": normal(row.get("quantity"), parse_quantity),
        "lot_code": row.get("lot"),
        "expires_on": normal(row.get("expiry"), parse_date),
    }


def _with_pasted(form: PlanForm) -> PlanForm:
    if not form.paste.validate(form):
        return form
    read = read_rows(form.paste.data or "", PLAN_COLUMNS)
    if not read.rows:
        form.paste.errors.append(_("Paste rows copied from a spreadsheet first."))
        return form
    data = MultiDict(request.form)
    lines = [line for line in line_values(data, PLAN_LINE_FIELDS) if not is_blank(line)]
    lines += [_line_from_row(row) for row in read.rows]
    if len(lines) > MAX_FORM_LINES:
        form.paste.errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
        return form
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    rebuilt = with_lines(data, lines, fields=PLAN_LINE_FIELDS, total=max(total, len(lines)))
    rebuilt.setlist("paste", [""])
    shown = PlanForm(formdata=rebuilt)
    _fill_choices(shown)
    _check_lines(shown, whole_form=False)
    return shown


@bp.route("/shipments/consignments/new", methods=["GET", "POST"])
@allow(STAFF)
def plan_new() -> Response | str:
    """Plan a consignment expected from a supplier or donor; posts nothing until it arrives."""
    form = PlanForm()
    _fill_choices(form)
    if form.is_submitted() and form.add_lines.data:
        for _number in range(min(MORE_LINES, MAX_FORM_LINES - len(form.lines.entries))):
            form.lines.append_entry()
    elif form.is_submitted() and form.show_paste.data:
        form = _with_pasted(form)
    elif form.is_submitted():
        lines, positions, failed = _check_lines(form, whole_form=True)
        if not failed:

            def show(error: DomainError) -> None:
                error.field = _form_field(error.field, positions)
                attach_error(form, error)

            response = submit(
                form,
                lambda: services.plan_consignment(
                    actor=acting_user(),
                    destination_id=form.destination_id.data,  # type: ignore[arg-type]
                    lines=lines,
                    header=services.Header(
                        supplier=form.supplier.data or "",
                        grant_id=form.grant_id.data,
                        reference=form.reference.data or "",
                        carrier=form.carrier.data or "",
                        expected_on=form.expected_on.data,
                        note=form.note.data or "",
                    ),
                    operation_key=form.operation_key.data or "",
                ),
                _("Consignment planned."),
                lambda shipment: url_for("shipments.page", shipment_id=shipment.id),
                show_error=show,
            )
            if response is not None:
                return response
    return render_template(
        "shipments/plan.html",
        form=form,
        can_add_lines=len(form.lines.entries) < MAX_FORM_LINES,
        max_lines=MAX_FORM_LINES,
        more_lines=MORE_LINES,
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
