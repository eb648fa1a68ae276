"""Stock operations views: record a receipt, adjust one lot at a place, reverse a transaction."""

import re
from collections.abc import Callable, Sequence
from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.files import HEADER_COLUMNS, PACKING_LIST_COLUMNS, RECEIPT_EXAMPLE
from hilogistics.lines.formdata import carry_down, is_blank, line_values, with_lines
from hilogistics.lines.importing import (
    LinesImport,
    Preview,
    import_page,
    import_template,
    normalised,
)
from hilogistics.lines.parsing import (
    Row,
    expand_serials,
    parse_date,
    parse_quantity,
    read_rows,
)
from hilogistics.lines.problems import LineProblem, LineProblems
from hilogistics.locations.models import Location
from hilogistics.locations.queries import (
    visible_locations_query,
    warehouses_query,
)
from hilogistics.stock import services
from hilogistics.stock.forms_operations import (
    FIRST_LINES,
    LINE_FIELDS,
    MAX_LINES,
    MORE_LINES,
    AdjustForm,
    AdjustTargetForm,
    ReceiptForm,
    ReverseForm,
    parse_reason_choice,
    reason_choice_value,
)
from hilogistics.stock.labels import TRANSACTION_KIND_LABELS
from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason, Lot, StockTransaction
from hilogistics.stock.queries import visible_transaction
from hilogistics.stock.queries.operations import (
    active_adjustment_reasons,
    active_grants,
    active_items_by_code,
    lots_with_balance,
    reversal_shortfalls,
)
from hilogistics.stock.queries.revisions import reversed_lines
from hilogistics.stock.views.blueprint import bp
from hilogistics.stock.views.receipt_copy import fill_receipt_copy
from hilogistics.views_support import submit

# Ids in URLs and query strings are database integers: larger ones cannot name a row.
MAX_ID = 2**31 - 1

_SERVICE_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")


def _placeholder(label: str) -> SelectChoice:
    return SelectChoice("", label)


def _show(transaction: StockTransaction) -> str:
    return url_for("stock.transaction", transaction_id=transaction.id)


def _post_once(
    form: ReceiptForm | AdjustForm | ReverseForm,
    post: Callable[[], StockTransaction],
    message: str,
    field_name: Callable[[str | None], str | None] | None = None,
) -> Response | None:
    """Call the service, commit and go to the result; or roll back and show why on the form.

    Replays are the service's business: the same form sent again lands on the first result.
    The transaction's id is taken before the commit expires the row, which the redirect would
    otherwise read again in a transaction of its own.
    """
    return submit(
        form,
        lambda: post().id,
        message,
        lambda transaction_id: url_for("stock.transaction", transaction_id=transaction_id),
        field_map=field_name,
    )


# --- receipts ---------------------------------------------------------------------------
# The receipt uses the line-entry pattern of hilogistics.lines: every problem of every line in
# one pass, pasted and imported rows shown as lines to check, lot and expiry carried down.


def _fill_receipt_choices(form: ReceiptForm) -> None:
    locale = current_locale()
    warehouses = db.session.scalars(warehouses_query()).all()
    form.warehouse_id.choices = [_placeholder(_("— choose a warehouse —"))] + [
        SelectChoice(str(w.id), w.display_name(locale)) for w in warehouses
    ]
    showing = request.method == "POST" and form.show_lines.data and not form.warehouse_id.data
    if (request.method == "GET" or showing) and len(warehouses) == 1:
        form.warehouse_id.data = warehouses[0].id
    form.grant_id.choices = [_placeholder(_("— none —"))] + [
        SelectChoice(str(g.id), f"{g.code} · {g.donor}") for g in active_grants()
    ]


def _add_lines(form: ReceiptForm) -> None:
    for _number in range(min(MORE_LINES, MAX_LINES - len(form.lines.entries))):
        form.lines.append_entry()


def _service_field_to_form(name: str | None, positions: list[int]) -> str | None:
    """Point a service's ``lines-<n>-<field>`` (n counts filled lines) at the form's own line."""
    match = _SERVICE_LINE_FIELD.match(name or "")
    if match is None:
        return name
    index, field = int(match[1]), match[2]
    if index >= len(positions):
        return None
    # The service speaks of the line's total quantity; the form enters it as packs and units.
    return f"lines-{positions[index]}-{'units' if field == 'quantity' else field}"


def _posted_receipt() -> MultiDict | None:
    """The posted data, blank lots and expiries repeated from the line above when asked."""
    if request.method != "POST":
        return None
    data = MultiDict(request.form)
    if data.get("carry_down"):
        posted = line_values(data, LINE_FIELDS)
        carried = carry_down(posted, ("lot_code", "expires_on"))
        data = with_lines(data, carried, fields=LINE_FIELDS, total=len(posted))
    return data


def _line_from_row(row: Row) -> dict[str, str]:
    """A pasted or imported row as a line's texts: readable numbers and dates normalised."""
    return {
        "item": row.get("code").upper(),
        "units": normalised(row.get("quantity"), parse_quantity),
        "packs": normalised(row.get("packs"), parse_quantity),
        "lot_code": row.get("lot"),
        "expires_on": normalised(row.get("expiry"), parse_date),
        "serials": row.get("serials"),
    }


def _show_rows(data: MultiDict, rows: list[Row]) -> tuple[MultiDict, dict[int, int], str | None]:
    """The posted data with ``rows`` after its filled lines: (data, line → row number, problem).

    More lines than a receipt holds: the data unchanged and a message saying so.
    """
    lines = [line for line in line_values(data, LINE_FIELDS) if not is_blank(line)]
    if len(lines) + len(rows) > MAX_LINES:
        return (
            data,
            {},
            _(
                "These rows would make %(total)d lines, and a receipt holds at most %(n)d. "
                "Take at most %(room)d rows here and record the rest in another receipt.",
                total=len(lines) + len(rows),
                n=MAX_LINES,
                room=MAX_LINES - len(lines),
            ),
        )
    row_of = {}
    for row in rows:
        row_of[len(lines)] = row.number
        lines.append(_line_from_row(row))
    total = min(MAX_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    rebuilt = with_lines(data, lines, fields=LINE_FIELDS, total=total)
    rebuilt.setlist("paste", [""])
    return rebuilt, row_of, None


def _check_lines(
    form: ReceiptForm, *, whole_form: bool
) -> tuple[list[services.ReceiptLine], list[int], bool, list[LineProblem]]:
    """Check every line in one pass: the form's own checks, then the service's.

    Returns the lines that could be read (for the service), their positions in the form,
    whether the form's own checks failed (the header's too, with ``whole_form``), and the
    service's problems with the lines that could be read (not yet shown on the form).
    """
    validate_lines(form, whole_form=whole_form)
    if len(form.lines.entries) > MAX_LINES:
        return [], [], True, []  # the form says it is too long: no use checking each line
    filled = form.filled_lines()
    items = resolve_items(filled)
    lines: list[services.ReceiptLine] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is None or any(f.errors for f in line):
            continue
        lines.append(
            services.ReceiptLine(
                item_id=item.id,
                packs=line.packs.data or 0,
                quantity=line.units.data or 0,
                lot_code=line.lot_code.data or "",
                expires_on=line.expires_on.data,
                serials=line.serial_list(),
            )
        )
        positions.append(index)
    problems: list[LineProblem] = []
    if lines:
        problems = list(
            services.check_receipt_lines(
                lines=lines,
                occurred_on=form.occurred_on.data or business_today(),
                grant_id=form.grant_id.data,
            )
        )
    has_errors = bool(form.form_errors) or any(
        f.errors for f in form if f.type not in ("FieldList",)
    )
    has_errors = has_errors or any(f.errors for _index, line in filled for f in line)
    return lines, positions, has_errors or len(lines) < len(filled), problems


def _show_problems(form: ReceiptForm, problems: list[LineProblem], positions: list[int]) -> None:
    """Errors on their fields; warnings beside the line they concern."""
    for problem in problems:
        name = _service_field_to_form(problem.field, positions)
        if problem.warning:
            match = _SERVICE_LINE_FIELD.match(name or "")
            if match is not None:
                form.line_warnings.setdefault(int(match[1]), []).append(problem.message)
                continue
        attach_error(form, DomainError(problem.message, field=name))


@bp.route("/stock/receipts/new", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def receipt_new() -> Response | str:
    """Record goods arriving into a warehouse: a header and lines, posted once.

    Besides Record, the form's buttons only show it again: longer ("add lines"), or with
    pasted rows or a previewed packing list as lines to check. They post nothing.
    """
    form = ReceiptForm(formdata=_posted_receipt())
    _fill_receipt_choices(form)
    if request.method == "GET" and "copy_of" in request.args:
        fill_receipt_copy(form, request.args["copy_of"])  # "Copy into a new receipt"
    pasted_rows: dict[int, int] = {}
    if form.is_submitted() and form.add_lines.data:
        _add_lines(form)
    elif form.is_submitted() and (form.show_paste.data or form.show_lines.data):
        form, pasted_rows = _show_pasted(form)
        form.pasted_rows = pasted_rows
    elif form.is_submitted():
        response = _record_receipt(form)
        if response is not None:
            return response
    # After a post that came back, each line's item is named, with its unit and pack size.
    filled = form.filled_lines() if form.is_submitted() else []
    items = active_items_by_code(line.item.data for _index, line in filled)
    return render_template(
        "stock/receipt_new.html",
        form=form,
        line_items=[items.get((e.form.item.data or "").upper()) for e in form.lines.entries],
        can_add_lines=len(form.lines.entries) < MAX_LINES,
        max_lines=MAX_LINES,
        more_lines=MORE_LINES,
        pasted_rows=pasted_rows,
        show_confirm_expiry=bool(form.line_warnings) or form.confirm_expiry.data,
    )


def _show_pasted(form: ReceiptForm) -> tuple[ReceiptForm, dict[int, int]]:
    """The form again with the pasted rows (or a previewed file's lines) as lines, checked."""
    data = _posted_receipt() or MultiDict()
    if form.show_paste.data:
        if not form.paste.validate(form):
            return form, {}
        read = read_rows(form.paste.data or "")
        if not read.rows:
            form.paste.errors.append(_("Paste rows copied from a spreadsheet first."))
            return form, {}
        data, row_of, problem = _show_rows(data, read.rows)
        if problem is not None:
            form.paste.errors.append(problem)
            return form, {}
    else:
        lines = [line for line in line_values(data, LINE_FIELDS) if not is_blank(line)]
        total = min(MAX_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
        data = with_lines(data, lines, fields=LINE_FIELDS, total=total)
        row_of = {}
    shown = ReceiptForm(formdata=data)
    _fill_receipt_choices(shown)
    _lines, positions, _failed, problems = _check_lines(shown, whole_form=False)
    _show_problems(shown, problems, positions)
    return shown, row_of


def _record_receipt(form: ReceiptForm) -> Response | None:
    """Check every line, then post the receipt; a redirect, or None with every problem shown.

    When only the service's checks fail, the service is still called: it is the authority,
    and a form sent twice lands on the first result rather than on "already recorded".
    """
    lines, positions, failed, problems = _check_lines(form, whole_form=True)
    if failed:
        _show_problems(form, problems, positions)
        return None

    def show(error: DomainError) -> None:
        if isinstance(error, LineProblems):
            _show_problems(form, error.problems, positions)
        else:
            error.field = _service_field_to_form(error.field, positions)
            attach_error(form, error)

    return submit(
        form,
        lambda: services.record_receipt(
            actor=acting_user(),
            warehouse_id=form.warehouse_id.data,
            occurred_on=form.occurred_on.data,
            lines=lines,
            operation_key=form.operation_key.data,
            supplier=form.supplier.data or "",
            grant_id=form.grant_id.data,
            reference=form.reference.data or "",
            note=form.note.data or "",
            expiry_confirmed=bool(form.confirm_expiry.data),
        ),
        _("Receipt recorded."),
        _show,
        show_error=show,
    )


def _receipt_file_problems(previews: list[Preview]) -> list[tuple[int, str]]:
    """The receipt's own checks of a packing list's rows (expiry, serial numbers, lots)."""
    lines = [
        services.ReceiptLine(
            item_id=preview["item"].id,
            quantity=int(preview["line"]["units"] or 0),
            packs=int(preview["line"]["packs"] or 0),
            lot_code=preview["line"]["lot_code"],
            expires_on=date.fromisoformat(preview["line"]["expires_on"])
            if preview["line"]["expires_on"]
            else None,
            serials=expand_serials(preview["line"]["serials"]),
        )
        for preview in previews
    ]
    found = []
    for problem in services.check_receipt_lines(lines=lines, occurred_on=business_today()):
        match = _SERVICE_LINE_FIELD.match(problem.field or "")
        if match is not None:
            found.append((previews[int(match[1])]["row"], problem.message))
    return found


RECEIPT_IMPORT = LinesImport(
    columns=(*PACKING_LIST_COLUMNS, *HEADER_COLUMNS),
    line_fields=LINE_FIELDS,
    line_from_row=_line_from_row,
    shown=(
        ("packs", _l("Packs")),
        ("units", _l("Units")),
        ("lot_code", _l("Lot code")),
        ("expires_on", _l("Expiry date")),
        ("serials", _l("Serial numbers")),
    ),
    example=RECEIPT_EXAMPLE,
    max_lines=MAX_LINES,
    form_endpoint="stock.receipt_new",
    import_endpoint="stock.receipt_import",
    template_endpoint="stock.receipt_import_template",
    title=_l("Import a packing list"),
    intro=_l(
        "Upload a packing list as a CSV file (UTF-8) or an XLSX workbook. You will first see "
        "each row and its problems; then its lines go into a new receipt, where you choose the "
        "warehouse, check the lines and record. Nothing is recorded before that."
    ),
    columns_help=_l(
        "Columns: item code, quantity (single units), packs (whole packs, optional), lot code, "
        "expiry date (YYYY-MM-DD), serial numbers (separated by spaces or commas, or a range "
        "such as KN-0001..KN-0025), and optionally supplier or donor and reference. The "
        "headings may be in English, Korean or French."
    ),
    check=_receipt_file_problems,
)


@bp.route("/stock/receipts/import", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def receipt_import() -> str:
    """Read a packing list file and preview its lines; confirming puts them into a receipt."""
    return import_page(RECEIPT_IMPORT)


@bp.get("/stock/receipts/import/template")
@allow(Role.ADMIN, Role.LOGISTICS)
def receipt_import_template() -> Response:
    """The packing-list template (CSV, or XLSX with ``?format=xlsx``), in the reader's language."""
    return import_template(RECEIPT_IMPORT)


# --- adjustments ------------------------------------------------------------------------


def _id_arg(name: str) -> int | None:
    # bounded_int, not str.isdigit: "²" is a digit to Python, and int() refuses it.
    return bounded_int(request.args.get(name), high=MAX_ID)


def _target_formdata() -> tuple[MultiDict | None, Item | None]:
    """The query string for the first step; links may name the item by id instead of code.

    Also the item so named (read to learn its code), or None.
    """
    args = MultiDict(request.args)
    item = None
    if not args.get("item") and (item_id := _id_arg("item_id")) is not None:
        item = db.session.get(Item, item_id)
        if item is not None:
            args["item"] = item.code
    return (args if args else None), item


def _adjustable_places(chosen: int | None, *, every: bool = False) -> Sequence[Location]:
    """The places the user may adjust, for the place field: on a POST, only the ``chosen`` one.

    A POST needs the list only to check the choice, and the same query narrowed to the chosen
    place decides it alike (a technician: their own place only); every place, ORM rows with
    their provinces, is read when the page is shown (a GET, or ``every``: a refused POST).
    """
    query = visible_locations_query(acting_user())
    if request.method == "POST" and not every:
        if not _is_id(chosen):
            return []  # no place has this id: the field says so, as with the whole list
        query = query.where(Location.id == chosen)
    return db.session.scalars(query).all()


def _place_choices(places: Sequence[Location], locale: str) -> list[SelectChoice]:
    """The place field's options: a placeholder, then ``places`` in the reader's language."""
    return [_placeholder(_("— choose a place —"))] + [
        SelectChoice(str(place.id), place.display_name(locale)) for place in places
    ]


def _resolve_target(
    target: AdjustTargetForm, places: Sequence[Location], named: Item | None
) -> tuple[Location | None, Item | None]:
    """The place and item the first step names, with messages on its fields when it cannot.

    ``places``: the places the user may adjust, as the place field offers them. ``named``: the
    item the link named by id (``_target_formdata``).
    """
    asked = "location_id" in request.args and ("item" in request.args or "item_id" in request.args)
    if not asked or not target.validate():
        return None, None
    location = next((place for place in places if place.id == target.location_id.data), None)
    code = target.item.data.upper()
    if named is not None and named.is_active and named.code.upper() == code:
        item: Item | None = named  # what reading the active item by its code would find
    else:
        item = active_items_by_code([target.item.data]).get(code)
    if item is None:
        target.item.errors.append(_("No active item has this code."))
    return location, item


def _chosen_lot_and_reason(
    form: AdjustForm, item_id: int, location_id: int
) -> tuple[list[tuple[Lot, int]], list[AdjustmentReason]]:
    """The posted lot (if the item's) and reason (if active): what the choices need to check.

    An option's value names one lot or reason, so the choices narrowed to the chosen ones
    accept exactly what the whole lists would.
    """
    lot_id = form.lot_id.data
    lots = lots_with_balance(item_id, location_id, lot_id=lot_id) if _is_id(lot_id) else []
    reason_id, _direction = parse_reason_choice(form.reason.data) or (None, None)
    reasons = active_adjustment_reasons(reason_id=reason_id) if _is_id(reason_id) else []
    return lots, reasons


def _is_id(value: int | None) -> bool:
    """Whether ``value`` can be a row's id (a database integer); else no row has it."""
    return value is not None and 0 < value <= MAX_ID


def _lot_choices(lots: Sequence[tuple[Lot, int]]) -> list[SelectChoice]:
    """The item's lots (``lots_with_balance``), each with its balance at the place."""
    choices = [_placeholder(_("— choose a lot —"))]
    for lot, quantity in lots:
        parts = [lot.serial or lot.code or _("no lot code")]
        if lot.expires_on:
            parts.append(_("expires %(date)s", date=lot.expires_on.isoformat()))
        if lot.grant:
            parts.append(_("grant %(code)s", code=lot.grant.code))
        parts.append(_("%(n)d on hand here", n=quantity))
        choices.append(SelectChoice(str(lot.id), " · ".join(parts)))
    return choices


def _reason_choices(reasons: Sequence[AdjustmentReason], locale: str) -> list[SelectChoice]:
    """Each reason under the direction it sets; a reason that goes either way is under both."""
    out_group, in_group = _("Takes stock out of this place"), _("Brings stock into this place")
    choices = [_placeholder(_("— choose a reason —"))]
    outs, ins = [], []
    for reason in reasons:
        name = reason.display_name(locale)
        if reason.direction is AdjustmentDirection.BOTH:
            outs.append((reason.id, _("%(reason)s: less here than recorded", reason=name)))
            ins.append((reason.id, _("%(reason)s: more here than recorded", reason=name)))
        elif reason.direction is AdjustmentDirection.OUT:
            outs.append((reason.id, name))
        else:
            ins.append((reason.id, name))
    for group, direction, entries in (
        (out_group, AdjustmentDirection.OUT, outs),
        (in_group, AdjustmentDirection.IN, ins),
    ):
        choices += [
            SelectChoice(reason_choice_value(reason_id, direction), label, optgroup=group)
            for reason_id, label in entries
        ]
    return choices


@bp.route("/stock/adjust", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def adjust() -> Response | str:
    """Correct one lot at one place, with a reason: first choose place and item, then the lot."""
    locale = current_locale()
    formdata, named = _target_formdata()
    target = AdjustTargetForm(formdata=formdata)
    places = _adjustable_places(target.location_id.data)
    target.location_id.choices = _place_choices(places, locale)
    location, item = _resolve_target(target, places, named)
    form = None
    # The rows read for the choices stay referenced until the service runs: the session holds
    # loaded rows only while something does, and the service then finds the reason and the lot
    # loaded in this transaction instead of reading them again (on PostgreSQL; SQLite reads
    # them again under its write lock).
    lots: list[tuple[Lot, int]] = []
    reasons: list[AdjustmentReason] = []
    if location is not None and item is not None:
        form = AdjustForm()
        if request.method == "POST":
            # As with the place: only the chosen lot and reason, which decide the choices alike.
            lots, reasons = _chosen_lot_and_reason(form, item.id, location.id)
        else:
            lots = lots_with_balance(item.id, location.id)
            reasons = active_adjustment_reasons()
        form.lot_id.choices = _lot_choices(lots)
        form.reason.choices = _reason_choices(reasons, locale)
        if request.method == "GET":
            form.lot_id.data = _id_arg("lot_id")
        elif form.validate_on_submit():
            reason_id, direction = parse_reason_choice(form.reason.data) or (0, None)
            response = _post_once(
                form,
                lambda: services.adjust_stock(
                    actor=acting_user(),
                    location_id=location.id,
                    item_id=item.id,
                    lot_id=form.lot_id.data,
                    quantity=form.quantity.data,
                    direction=direction,
                    reason_id=reason_id,
                    occurred_on=form.occurred_on.data,
                    operation_key=form.operation_key.data,
                    note=form.note.data,
                ),
                _("Adjustment recorded."),
                # The service names the reason and the direction apart; the form asks one question.
                lambda name: "reason" if name in ("reason_id", "direction") else name,
            )
            if response is not None:
                return response
    elif request.method == "POST":
        target.form_errors.append(_("Choose the place and the item first."))
    if request.method == "POST":
        # The page comes back (the post was refused): now it offers every choice.
        target.location_id.choices = _place_choices(_adjustable_places(None, every=True), locale)
        if form is not None and location is not None and item is not None:
            form.lot_id.choices = _lot_choices(lots_with_balance(item.id, location.id))
            form.reason.choices = _reason_choices(active_adjustment_reasons(), locale)
    return render_template(
        "stock/adjust.html",
        target=target,
        form=form,
        location=location,
        item=item,
    )


# --- reversals --------------------------------------------------------------------------


@bp.route("/stock/transactions/<int:transaction_id>/reverse", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def reverse(transaction_id: int) -> Response | str:
    """Show what reversing a transaction does, then post its mirror image with a reason."""
    if transaction_id > MAX_ID:
        abort(404)
    original = visible_transaction(acting_user(), transaction_id)  # with its lines; or a 404
    form = ReverseForm()
    if request.method == "GET":
        # Every line not yet reversed is ticked: untick the ones that were right.
        undone = reversed_lines(original)
        form.lines.data = [str(m.id) for m in original.movements if m.id not in undone]
    if form.validate_on_submit():
        # Not a number: no line of any transaction (the service says so).
        chosen = [bounded_int(value, high=MAX_ID) or 0 for value in form.lines.data]
        response = _post_once(
            form,
            lambda: services.reverse_transaction(
                actor=acting_user(),
                transaction_id=original.id,
                note=form.note.data,
                operation_key=form.operation_key.data,
                occurred_on=form.occurred_on.data,
                movement_ids=chosen,
            ),
            _("Transaction reversed."),
        )
        if response is not None:
            return response
        # Read again after the rollback: whether it was reversed meanwhile, and the balances.
        original = visible_transaction(acting_user(), transaction_id)
    undone = reversed_lines(original)
    return render_template(
        "stock/reverse.html",
        original=original,
        form=form,
        kind_labels=TRANSACTION_KIND_LABELS,
        undone=undone,
        selected=set(form.lines.data or []),
        shortfalls=reversal_shortfalls(original),
    )
