"""Raise or edit a requisition: the line-entry pattern with the place's figures beside each line.

Lines are item code, quantity and reason. Beside each line: on hand, on its way, monthly
consumption, months left and the suggested quantity at the chosen place. "Fill with the
suggestions" adds every item whose suggestion is above zero or whose stock is below its
reorder minimum; pasted rows and a CSV/XLSX file (with a preview) become lines to check.
"""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.inputs import DB_INT_MAX
from hilogistics.lines import entry
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.formdata import is_blank, line_values
from hilogistics.lines.importing import LinesImport, import_page, import_template, normalised
from hilogistics.lines.parsing import RECEIPT_COLUMNS, Column, Row, parse_quantity
from hilogistics.locations.models import Location
from hilogistics.requisitions import services
from hilogistics.requisitions.forms import LINE_FIELDS, SIZES, RequisitionForm
from hilogistics.requisitions.models import Requisition, RequisitionStatus
from hilogistics.requisitions.suggestions import Suggestion, fill_suggestions, suggestions_for
from hilogistics.requisitions.views.blueprint import bp
from hilogistics.requisitions.views.pages import loaded_requisition, place_choices
from hilogistics.stock.queries.operations import active_items_by_code

RAISERS = (Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN)
# Pasted or imported rows: item code, quantity and why (headings in any language).
COLUMNS = (
    *(c for c in RECEIPT_COLUMNS if c.key in ("code", "quantity")),
    Column("reason", _l("Reason"), ("reason", "why", "raison", "리유")),
)


def _line_from_row(row: Row) -> dict[str, str]:
    return {
        "item": row.get("code").upper(),
        "quantity": normalised(row.get("quantity"), parse_quantity),
        "reason": row.get("reason").strip(),
    }


IMPORT = LinesImport(
    columns=COLUMNS,
    line_fields=LINE_FIELDS,
    line_from_row=_line_from_row,
    shown=(("quantity", _l("Quantity")),),
    example=("MED-PARA-500", 200, "Fittings of the month"),
    max_lines=SIZES.most,
    form_endpoint="requisitions.new",
    import_endpoint="requisitions.import_lines",
    template_endpoint="requisitions.import_template",
    title=_l("Import the lines of a requisition"),
    intro=_l(
        "Upload the lines to ask for as a CSV file (UTF-8) or an XLSX workbook. You will first "
        "see each row and its problems; then its lines go into a new requisition, where you "
        "check them beside the place's figures and save."
    ),
    columns_help=_l(
        "Columns: item code, quantity. The headings may be in English, Korean or French."
    ),
)


def _fill_places(form: RequisitionForm) -> None:
    user = acting_user()
    if user.role is Role.TECHNICIAN:
        form.location_id.choices = place_choices(user, None)
        form.location_id.data = user.location_id
    else:
        form.location_id.choices = place_choices(user, _("— choose a place —"))


def _place(form: RequisitionForm) -> Location | None:
    location_id = form.location_id.data
    valid = isinstance(location_id, int) and 0 < location_id <= DB_INT_MAX
    location = db.session.get(Location, location_id) if valid else None
    if location is None or not services.may_request_for(acting_user(), location.id):
        return None
    return location


def _check_lines(
    form: RequisitionForm, *, whole_form: bool
) -> tuple[list[services.RequestLine], list[int], bool]:
    """Check every line in one pass: (lines read, their positions in the form, any error)."""
    validate_lines(form, whole_form=whole_form)
    filled = form.filled_lines()
    items = resolve_items(filled)
    if len(filled) > SIZES.most:
        form.form_errors.append(_("At most %(n)d lines.", n=SIZES.most))
    lines: list[services.RequestLine] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is None or any(f.errors for f in line):
            continue
        lines.append(
            services.RequestLine(
                item_id=item.id, quantity=line.quantity.data or 0, reason=line.reason.data or ""
            )
        )
        positions.append(index)
    if not filled and whole_form:
        form.form_errors.append(_("Enter at least one line."))
    failed = bool(form.form_errors) or any(f.errors for f in form if f.type != "FieldList")
    failed = failed or any(f.errors for _index, line in filled for f in line)
    return lines, positions, failed


def _posted_lines(data: MultiDict) -> list[dict[str, str]]:
    return [line for line in line_values(data, LINE_FIELDS) if not is_blank(line)]


def _rebuilt(lines: list[dict[str, str]]) -> RequisitionForm:
    form = RequisitionForm(
        formdata=entry.form_data(MultiDict(request.form), lines, LINE_FIELDS, SIZES)
    )
    _fill_places(form)
    return form


def _with_pasted(form: RequisitionForm) -> RequisitionForm:
    lines = entry.pasted_lines(form, LINE_FIELDS, COLUMNS, _line_from_row, SIZES)
    if lines is None:
        return form
    shown = _rebuilt(lines)
    _check_lines(shown, whole_form=False)
    return shown


def _with_suggestions(form: RequisitionForm) -> RequisitionForm:
    """The lines typed, then every item the place should ask for that is not on them yet."""
    location = _place(form)
    if location is None:
        form.location_id.errors = [_("Choose the place first.")]
        return form
    lines = _posted_lines(MultiDict(request.form))
    typed = {(line.get("item") or "").strip().upper() for line in lines}
    for item, suggestion in fill_suggestions(location):
        if item.code.upper() not in typed:
            lines.append(
                {"item": item.code, "quantity": str(suggestion.fill_quantity), "reason": ""}
            )
    shown = _rebuilt(lines[: SIZES.most])
    _check_lines(shown, whole_form=False)
    return shown


def _figures(form: RequisitionForm) -> list[Suggestion | None]:
    """Per form line, the place's figures for its item (None: no place or no item yet)."""
    shown: list[Suggestion | None] = [None] * len(form.lines.entries)
    location = _place(form)
    if location is None:
        return shown
    codes = [(e.form.item.data or "").upper() for e in form.lines.entries]
    items = active_items_by_code(codes)
    figures = suggestions_for(
        location.id,
        target_months=location.target_months,
        item_ids={item.id for item in items.values()},
    )
    for index, code in enumerate(codes):
        item = items.get(code)
        if item is not None:
            shown[index] = figures.get(item.id)
    return shown


def _handle(form: RequisitionForm, save) -> Response | RequisitionForm:  # noqa: ANN001
    if form.fill.data:
        return _with_suggestions(form)
    if form.figures.data:
        _check_lines(form, whole_form=False)
        return form
    return entry.handle_lines(
        form,
        check=_check_lines,
        with_pasted=_with_pasted,
        save=save,
        message=_("Requisition saved as a draft."),
        page=lambda requisition: url_for("requisitions.page", requisition_id=requisition.id),
        sizes=SIZES,
    )


def _form_page(form: RequisitionForm, requisition: Requisition | None, action: str) -> str:
    location = _place(form)
    return render_template(
        "requisitions/edit.html",
        form=form,
        requisition=requisition,
        action=action,
        figures=_figures(form),
        location=location,
        can_add_lines=len(form.lines.entries) < SIZES.most,
        may_key_paper=services.is_logistics(acting_user()),
    )


@bp.route("/requisitions/new", methods=["GET", "POST"])
@allow(*RAISERS)
def new() -> Response | str:
    """Raise a requisition for a place: lines beside its figures; saved as a draft."""
    form = RequisitionForm()
    _fill_places(form)
    user = acting_user()
    return entry.lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.create_requisition(
                actor=user,
                location_id=form.location_id.data,  # type: ignore[arg-type]
                lines=lines,
                note=form.note.data or "",
                from_paper=bool(form.from_paper.data) and services.is_logistics(user),
                operation_key=form.operation_key.data or None,
            ),
        ),
        lambda form: _form_page(form, None, url_for("requisitions.new")),
    )


def _draft_data(requisition: Requisition) -> MultiDict:
    data = MultiDict({"location_id": str(requisition.location_id), "note": requisition.note})
    lines = [
        {"item": line.item.code, "quantity": str(line.quantity), "reason": line.reason}
        for line in requisition.lines
    ]
    return entry.form_data(data, lines, LINE_FIELDS, SIZES)


@bp.route("/requisitions/<int:requisition_id>/edit", methods=["GET", "POST"])
@allow(*RAISERS)
def edit(requisition_id: int) -> Response | str:
    """Edit a draft: its lines (and figures, computed again) and note."""
    requisition = loaded_requisition(requisition_id)
    user = acting_user()
    if requisition.status is not RequisitionStatus.DRAFT or not services.may_request_for(
        user, requisition.location_id
    ):
        return redirect(url_for("requisitions.page", requisition_id=requisition.id))
    form = entry.edit_form(RequisitionForm, requisition, _draft_data)
    _fill_places(form)
    # The place of a draft stays; the list offers only it.
    form.location_id.data = requisition.location_id
    form.location_id.choices = [
        choice
        for choice in form.location_id.choices
        if choice.value == str(requisition.location_id)
    ]
    return entry.lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.update_requisition(
                actor=user,
                requisition_id=requisition.id,
                lines=lines,
                note=form.note.data or "",
            ),
        ),
        lambda form: _form_page(
            form, requisition, url_for("requisitions.edit", requisition_id=requisition.id)
        ),
    )


@bp.route("/requisitions/import", methods=["GET", "POST"])
@allow(*RAISERS)
def import_lines() -> str:
    """Read a file of lines to ask for and preview them; confirming puts them in a new one."""
    return import_page(IMPORT)


@bp.get("/requisitions/import/template", endpoint="import_template")
@allow(*RAISERS)
def import_template_file() -> Response:
    """The file template (CSV, or XLSX with ``?format=xlsx``) in the reader's language."""
    return import_template(IMPORT)
