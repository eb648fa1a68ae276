"""Outbound drafts and their dispatch: the line-entry pattern of hilogistics.lines.

A draft's lines are item code, lot code and quantity. Every problem of every line is shown
at once; pasted rows become lines to check; "suggest lots" fills blank lots first expiry
first out (splitting a line over several lots when one does not hold it). Nothing is posted
until Dispatch, which refuses a quantity above what is available and keeps the draft as typed.
"""

import re
from collections.abc import Callable

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import STAFF, acting_user, allow
from hilogistics.db import db
from hilogistics.i18n import current_locale
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.entry import short_suggestion
from hilogistics.lines.formdata import is_blank, line_values
from hilogistics.lines.importing import LinesImport, normalised
from hilogistics.lines.parsing import RECEIPT_COLUMNS, InputError, Row, parse_quantity
from hilogistics.locations.queries import physical_locations_query
from hilogistics.shipments import queries, services
from hilogistics.shipments.forms import (
    DRAFT_LINE_FIELDS,
    MAX_FORM_LINES,
    MORE_LINES,
    DispatchForm,
    DraftForm,
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
from hilogistics.stock.models import Lot
from hilogistics.stock.queries.operations import active_items_by_code
from hilogistics.views_support import submit

# Pasted rows of a dispatch: item code, quantity, lot code (headings in any language).
DISPATCH_COLUMNS = tuple(c for c in RECEIPT_COLUMNS if c.key in ("code", "quantity", "lot"))
_SERVICE_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")


def _page_url(shipment: Shipment) -> str:
    return url_for("shipments.page", shipment_id=shipment.id)


def _fill_choices(form: DraftForm) -> None:
    locale = current_locale()
    places = [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(physical_locations_query(active_only=True))
    ]
    form.origin_id.choices = [SelectChoice("", _("— choose a place —")), *places]
    form.destination_id.choices = [SelectChoice("", _("— choose a place —")), *places]
    form.grant_id.choices = grant_choices()


def _lot_text(lot: Lot, several_uncoded: bool = False) -> str:
    """What a clerk types to name a lot: its code or serial; else its grant's code.

    A lot with neither code nor grant is blank, or ``-`` when the origin holds several lots
    without a code of its item (blank would mean the one it holds most of).
    """
    if lot.code or lot.serial:
        return lot.code or lot.serial or ""
    if lot.grant is not None:
        return lot.grant.code
    return queries.NO_GRANT if several_uncoded else ""


def _lot_texts(lots: list[Lot], origin_id: int | None) -> dict[int, str]:
    """``_lot_text`` of each lot by id, knowing which items have several uncoded lots there."""
    choices = queries.uncoded_lot_choices({lot.item_id for lot in lots}, origin_id)
    return {lot.id: _lot_text(lot, len(choices.get(lot.item_id, [])) > 1) for lot in lots}


def _check_lines(
    form: DraftForm, *, whole_form: bool
) -> tuple[list[services.DraftLine], list[int], bool]:
    """Check every line in one pass: (lines read, their positions in the form, any error)."""
    validate_lines(form, whole_form=whole_form)
    filled = form.filled_lines()
    items = resolve_items(filled)
    if len(filled) > MAX_FORM_LINES:
        form.form_errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
    wanted = set()
    for _index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is not None and line.lot.data:
            wanted.add((item.id, line.lot.data.upper()))
    lots = queries.lots_by_text(wanted, form.origin_id.data)
    # Not a lot code: the grant of a lot without one (items kept without lot codes).
    by_grant = queries.uncoded_lots_by_grant(wanted - lots.keys(), form.origin_id.data)
    blank = {
        item.id
        for _index, line in filled
        if not (line.lot.data or "").strip()
        and (item := items.get((line.item.data or "").upper())) is not None
    }
    uncoded = queries.uncoded_lots_at(blank, form.origin_id.data)
    lines: list[services.DraftLine] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        lot = None
        if item is not None and line.lot.data and not line.lot.errors:
            key = (item.id, line.lot.data.upper())
            lot = lots.get(key) or by_grant.get(key)
            if lot is None:
                line.lot.errors.append(_("%(item)s has no lot of this code.", item=item.code))
        elif item is not None and not (line.lot.data or "").strip():
            lot = uncoded.get(item.id)  # the lot without a code, if the origin holds one
        if item is None or any(f.errors for f in line):
            continue
        lines.append(
            services.DraftLine(
                item_id=item.id, quantity=line.quantity.data or 0, lot_id=lot.id if lot else None
            )
        )
        positions.append(index)
    if not filled and whole_form:
        form.form_errors.append(_("Enter at least one line."))
    has_errors = bool(form.form_errors) or any(
        f.errors for f in form if f.type not in ("FieldList",)
    )
    has_errors = has_errors or any(f.errors for _index, line in filled for f in line)
    return lines, positions, has_errors


def _line_from_row(row: Row) -> dict[str, str]:
    return {
        "item": row.get("code").upper(),
        "lot": row.get("lot"),
        "quantity": normalised(row.get("quantity"), parse_quantity),
    }


def _posted_lines(data: MultiDict) -> list[dict[str, str]]:
    return [line for line in line_values(data, DRAFT_LINE_FIELDS) if not is_blank(line)]


DRAFT_IMPORT = LinesImport(
    columns=DISPATCH_COLUMNS,
    line_fields=DRAFT_LINE_FIELDS,
    line_from_row=_line_from_row,
    shown=(("lot", _l("Lot code")), ("quantity", _l("Quantity"))),
    example=("MED-PARA-500", 200, "B2407-11"),
    max_lines=MAX_FORM_LINES,
    form_endpoint="shipments.draft_new",
    import_endpoint="shipments.draft_import",
    template_endpoint="shipments.draft_import_template",
    title=_l("Import the lines of a dispatch"),
    intro=_l(
        "Upload the lines to send as a CSV file (UTF-8) or an XLSX workbook. You will first "
        "see each row and its problems; then its lines go into a new dispatch draft, where you "
        "choose the places, check the lines and save."
    ),
    columns_help=_l(
        "Columns: item code, quantity, lot code (blank: suggested first expiry first out). "
        "The headings may be in English, Korean or French."
    ),
)


def _rebuilt(lines: list[dict[str, str]]) -> DraftForm:
    form = DraftForm(formdata=form_with_lines(lines, DRAFT_LINE_FIELDS))
    _fill_choices(form)
    return form


def _with_pasted(form: DraftForm) -> DraftForm:
    """The form again with pasted rows (or a previewed file's lines) after its lines, checked."""
    lines = pasted_lines(form, DRAFT_LINE_FIELDS, DISPATCH_COLUMNS, _line_from_row)
    if lines is None:
        return form
    shown = _rebuilt(lines)
    _check_lines(shown, whole_form=False)
    return shown


def _with_suggested_lots(form: DraftForm) -> DraftForm:
    """Blank lots filled first expiry first out at the origin; a line may split over lots."""
    data = MultiDict(request.form)
    origin_id = form.origin_id.data
    if origin_id is None:
        # Not validated yet: its errors are still WTForms' empty tuple.
        form.origin_id.errors = [_("Choose the place the goods leave from first.")]
        return form
    items = active_items_by_code(line.get("item") for line in _posted_lines(data))
    lines: list[dict[str, str]] = []
    short: dict[int, str] = {}  # line index → what the suggestion could not cover
    for line in _posted_lines(data):
        item = items.get((line.get("item") or "").strip().upper())
        try:
            quantity = parse_quantity(line.get("quantity") or "")
        except InputError:
            quantity = 0
        if line.get("lot", "").strip() or item is None or quantity <= 0:
            lines.append(line)
            continue
        suggested = queries.fefo_lots(location_id=origin_id, item_id=item.id, quantity=quantity)
        covered = sum(suggestion.quantity for suggestion in suggested)
        if not suggested:
            lines.append(line)
        texts = _lot_texts([suggestion.lot for suggestion in suggested], origin_id)
        for suggestion in suggested:
            lines.append(
                {
                    "item": item.code,
                    "lot": texts[suggestion.lot.id],
                    "quantity": str(suggestion.quantity),
                }
            )
        if covered < quantity:
            short[len(lines) - 1] = short_suggestion(item.code, covered, quantity)
    shown = _rebuilt(lines[:MAX_FORM_LINES])
    _check_lines(shown, whole_form=False)
    for index, message in short.items():
        if index < len(shown.lines.entries):
            shown.lines.entries[index].form.quantity.errors = [
                *shown.lines.entries[index].form.quantity.errors,
                message,
            ]
    return shown


def _header(form: DraftForm) -> services.Header:
    return services.Header(
        reference=form.reference.data or "",
        carrier=form.carrier.data or "",
        vehicle=form.vehicle.data or "",
        driver=form.driver.data or "",
        grant_id=form.grant_id.data,
        expected_on=form.expected_on.data,
        note=form.note.data or "",
    )


def _availability(form: DraftForm) -> list[str | None]:
    """Per form line, what the origin holds of its item (and lot): a hint beside the line."""
    origin_id = form.origin_id.data
    hints: list[str | None] = [None] * len(form.lines.entries)
    if origin_id is None:
        return hints
    codes = [(entry.form.item.data or "").upper() for entry in form.lines.entries]
    items = active_items_by_code(codes)
    available = queries.available_at(origin_id, [item.id for item in items.values()])
    for index, code in enumerate(codes):
        item = items.get(code)
        if item is not None:
            hints[index] = _(
                "%(name)s: %(n)d available here.",
                name=item.display_name(current_locale()),
                n=available.get(item.id, 0),
            )
    return hints


def _uncoded_hints(form: DraftForm) -> list[str | None]:
    """Per form line, the origin's lots without a code of its item, when it holds several.

    Says which one a blank lot takes and what to type to take another.
    """
    hints: list[str | None] = [None] * len(form.lines.entries)
    origin_id = form.origin_id.data
    if origin_id is None:
        return hints
    codes = [(entry.form.item.data or "").upper() for entry in form.lines.entries]
    items = active_items_by_code(codes)
    choices = queries.uncoded_lot_choices({item.id for item in items.values()}, origin_id)
    for index, code in enumerate(codes):
        item = items.get(code)
        held = choices.get(item.id, []) if item is not None else []
        if len(held) < 2:
            continue
        words = [
            _(
                "%(grant)s: %(n)d",
                grant=_lot_text(choice.lot, several_uncoded=True),
                n=choice.quantity,
            )
            for choice in held
        ]
        hints[index] = _(
            "Lots without a code here, by grant: %(choices)s. A blank lot takes %(default)s; "
            "type a grant code (or - for none) to take another.",
            choices=", ".join(words),
            default=_lot_text(held[0].lot, several_uncoded=True),
        )
    return hints


def _draft_page(form: DraftForm, shipment: Shipment | None, action: str) -> str:
    return render_template(
        "shipments/draft.html",
        form=form,
        shipment=shipment,
        action=action,
        hints=_availability(form),
        lot_hints=_uncoded_hints(form),
        can_add_lines=len(form.lines.entries) < MAX_FORM_LINES,
        max_lines=MAX_FORM_LINES,
        more_lines=MORE_LINES,
    )


def _handle(
    form: DraftForm, save: Callable[[list[services.DraftLine]], Shipment]
) -> Response | DraftForm:
    """The draft form's buttons: suggest lots, or those every lines form has (add, show, save)."""
    if form.suggest_lots.data:
        return _with_suggested_lots(form)
    return handle_lines(
        form, check=_check_lines, with_pasted=_with_pasted, save=save, message=_("Draft saved.")
    )


@bp.route("/shipments/new", methods=["GET", "POST"])
@allow(STAFF)
def draft_new() -> Response | str:
    """A new dispatch draft: places, carrier if known, lines; saved, not posted.

    ``?origin_id=&destination_id=`` pre-select the places (a camp page's "load the camp").
    """
    form = DraftForm()
    _fill_choices(form)
    if not form.is_submitted():
        _preselect(form)
    return lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.create_dispatch(
                actor=acting_user(),
                origin_id=form.origin_id.data,  # type: ignore[arg-type]
                destination_id=form.destination_id.data,  # type: ignore[arg-type]
                lines=lines,
                header=_header(form),
                operation_key=form.operation_key.data or "",
            ),
        ),
        lambda form: _draft_page(form, None, url_for("shipments.draft_new")),
    )


def _preselect(form: DraftForm) -> None:
    """Take the places named in the query string, when they are among the choices."""
    for name in ("origin_id", "destination_id"):
        field = getattr(form, name)
        wanted = request.args.get(name, "")
        if any(choice.value == wanted for choice in field.choices if choice.value):
            field.data = int(wanted)


def _draft_data(shipment: Shipment) -> MultiDict:
    """A draft as the form posts it, to edit it."""
    data = MultiDict(
        {
            "origin_id": str(shipment.origin_id),
            "destination_id": str(shipment.destination_id),
            "expected_on": shipment.expected_on.isoformat() if shipment.expected_on else "",
            "carrier": shipment.carrier,
            "vehicle": shipment.vehicle,
            "driver": shipment.driver,
            "reference": shipment.reference,
            "grant_id": str(shipment.grant_id or ""),
            "note": shipment.note,
        }
    )
    texts = _lot_texts([line.lot for line in shipment.lines if line.lot], shipment.origin_id)
    lines = [
        {
            "item": line.item.code,
            "lot": texts[line.lot.id] if line.lot else "",
            "quantity": str(line.quantity),
        }
        for line in shipment.lines
    ]
    return form_data(data, lines, DRAFT_LINE_FIELDS)


def _editable(shipment_id: int) -> Shipment | Response:
    shipment = loaded_shipment(shipment_id)
    if shipment.is_inbound or shipment.status is not ShipmentStatus.DRAFT:
        return redirect(_page_url(shipment))
    return shipment


@bp.route("/shipments/<int:shipment_id>/edit", methods=["GET", "POST"])
@allow(STAFF)
def draft_edit(shipment_id: int) -> Response | str:
    """Edit a dispatch draft: its places, header and lines are replaced as shown."""
    shipment = _editable(shipment_id)
    if isinstance(shipment, Response):
        return shipment
    form = edit_form(DraftForm, shipment, _draft_data)
    _fill_choices(form)
    return lines_page(
        form,
        lambda form: _handle(
            form,
            lambda lines: services.update_draft(
                actor=acting_user(),
                shipment_id=shipment.id,
                origin_id=form.origin_id.data,
                destination_id=form.destination_id.data,
                lines=lines,
                header=_header(form),
            ),
        ),
        lambda form: _draft_page(
            form, shipment, url_for("shipments.draft_edit", shipment_id=shipment.id)
        ),
    )


import_routes(
    DRAFT_IMPORT,
    "/shipments/import",
    "Read a file of lines to dispatch and preview them; confirming puts them in a draft.",
)


@bp.route("/shipments/<int:shipment_id>/dispatch", methods=["GET", "POST"])
@allow(STAFF)
def dispatch(shipment_id: int) -> Response | str:
    """Dispatch a draft: carrier, vehicle, driver and date; posts origin → transit."""
    shipment = _editable(shipment_id)
    if isinstance(shipment, Response):
        return shipment
    form = DispatchForm()
    if request.method == "GET":
        form.carrier.data = shipment.carrier
        form.vehicle.data = shipment.vehicle
        form.driver.data = shipment.driver
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.dispatch_shipment(
                actor=acting_user(),
                shipment_id=shipment.id,
                dispatched_on=form.dispatched_on.data,  # type: ignore[arg-type]
                operation_key=form.operation_key.data,
                carrier=form.carrier.data or "",
                vehicle=form.vehicle.data or "",
                driver=form.driver.data or "",
                note=form.note.data or "",
            ),
            _("Shipment dispatched: the goods are in transit."),
            lambda _event: _page_url(shipment),
        )
        if response is not None:
            return response
        shipment = loaded_shipment(shipment_id)
    return render_template(
        "shipments/dispatch.html",
        shipment=shipment,
        form=form,
        available=queries.line_availability(shipment),
        status_labels=STATUS_LABELS,
    )
