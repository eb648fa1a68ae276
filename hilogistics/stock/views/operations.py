"""Stock operations views: record a receipt, adjust one lot at a place, reverse a transaction."""

import re
from collections.abc import Callable

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.locations.models import Location
from hilogistics.locations.queries import (
    find_visible_location,
    visible_locations_query,
    warehouses_query,
)
from hilogistics.stock import services
from hilogistics.stock.forms_operations import (
    MAX_LINES,
    MORE_LINES,
    AdjustForm,
    AdjustTargetForm,
    ReceiptForm,
    ReverseForm,
)
from hilogistics.stock.labels import TRANSACTION_KIND_LABELS
from hilogistics.stock.models import AdjustmentDirection, StockTransaction
from hilogistics.stock.queries import visible_transaction
from hilogistics.stock.queries.operations import (
    active_adjustment_reasons,
    active_grants,
    active_items,
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
    """
    return submit(form, post, message, _show, field_map=field_name)


# --- receipts ---------------------------------------------------------------------------


def _fill_receipt_choices(form: ReceiptForm) -> None:
    locale = current_locale()
    warehouses = db.session.scalars(warehouses_query()).all()
    form.warehouse_id.choices = [_placeholder(_("— choose a warehouse —"))] + [
        SelectChoice(str(w.id), w.display_name(locale)) for w in warehouses
    ]
    if request.method == "GET" and len(warehouses) == 1:
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


@bp.route("/stock/receipts/new", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def receipt_new() -> Response | str:
    """Record goods arriving into a warehouse: a header and lines, posted once."""
    form = ReceiptForm()
    _fill_receipt_choices(form)
    if request.method == "GET" and "copy_of" in request.args:
        fill_receipt_copy(form, request.args["copy_of"])  # "Copy into a new receipt"
    if form.is_submitted() and form.add_lines.data:
        # "Add lines" only shows the form again, longer; it posts nothing.
        _add_lines(form)
    elif form.validate_on_submit():
        response = _record_receipt(form)
        if response is not None:
            return response
    # After a post that came back, each line's item is named, with its unit and pack size.
    filled = form.filled_lines() if form.is_submitted() else []
    items = active_items_by_code(line.item.data for _index, line in filled)
    return render_template(
        "stock/receipt_new.html",
        form=form,
        items=active_items(),
        line_items=[items.get((e.form.item.data or "").upper()) for e in form.lines.entries],
        can_add_lines=len(form.lines.entries) < MAX_LINES,
    )


def _record_receipt(form: ReceiptForm) -> Response | None:
    """Resolve the lines' item codes and post the receipt; a redirect, or None on errors."""
    filled = form.filled_lines()
    items = active_items_by_code(line.item.data for _index, line in filled)
    lines: list[services.ReceiptLine] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get(line.item.data.upper())
        if item is None:
            line.item.errors.append(_("No active item has this code."))
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
    if len(lines) < len(filled):
        return None
    return _post_once(
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
        ),
        _("Receipt recorded."),
        lambda name: _service_field_to_form(name, positions),
    )


# --- adjustments ------------------------------------------------------------------------


def _id_arg(name: str) -> int | None:
    # bounded_int, not str.isdigit: "²" is a digit to Python, and int() refuses it.
    return bounded_int(request.args.get(name), high=MAX_ID)


def _target_formdata() -> MultiDict | None:
    """The query string for the first step; links may name the item by id instead of code."""
    args = MultiDict(request.args)
    if not args.get("item") and (item_id := _id_arg("item_id")) is not None:
        item = db.session.get(Item, item_id)
        if item is not None:
            args["item"] = item.code
    return args if args else None


def _resolve_target(target: AdjustTargetForm) -> tuple[Location | None, Item | None]:
    """The place and item the first step names, with messages on its fields when it cannot."""
    asked = "location_id" in request.args and ("item" in request.args or "item_id" in request.args)
    if not asked or not target.validate():
        return None, None
    location = find_visible_location(acting_user(), target.location_id.data)
    item = active_items_by_code([target.item.data]).get(target.item.data.upper())
    if item is None:
        target.item.errors.append(_("No active item has this code."))
    return location, item


def _lot_choices(item: Item, location: Location) -> list[SelectChoice]:
    """The item's lots, those on hand at the place first, each with its balance there."""
    choices = [_placeholder(_("— choose a lot —"))]
    for lot, quantity in lots_with_balance(item.id, location.id):
        parts = [lot.serial or lot.code or _("no lot code")]
        if lot.expires_on:
            parts.append(_("expires %(date)s", date=lot.expires_on.isoformat()))
        if lot.grant:
            parts.append(_("grant %(code)s", code=lot.grant.code))
        parts.append(_("%(n)d on hand here", n=quantity))
        choices.append(SelectChoice(str(lot.id), " · ".join(parts)))
    return choices


@bp.route("/stock/adjust", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS)
def adjust() -> Response | str:
    """Correct one lot at one place, with a reason: first choose place and item, then the lot."""
    locale = current_locale()
    target = AdjustTargetForm(formdata=_target_formdata())
    target.location_id.choices = [_placeholder(_("— choose a place —"))] + [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(visible_locations_query(acting_user()))
    ]
    location, item = _resolve_target(target)
    form = None
    if location is not None and item is not None:
        form = AdjustForm()
        form.lot_id.choices = _lot_choices(item, location)
        form.reason_id.choices = [_placeholder(_("— choose a reason —"))] + [
            SelectChoice(str(reason.id), reason.display_name(locale))
            for reason in active_adjustment_reasons()
        ]
        if request.method == "GET":
            form.lot_id.data = _id_arg("lot_id")
        elif form.validate_on_submit():
            response = _post_once(
                form,
                lambda: services.adjust_stock(
                    actor=acting_user(),
                    location_id=location.id,
                    item_id=item.id,
                    lot_id=form.lot_id.data,
                    quantity=form.quantity.data,
                    direction=AdjustmentDirection(form.direction.data),
                    reason_id=form.reason_id.data,
                    occurred_on=form.occurred_on.data,
                    operation_key=form.operation_key.data,
                    note=form.note.data,
                ),
                _("Adjustment recorded."),
            )
            if response is not None:
                return response
    elif request.method == "POST":
        target.form_errors.append(_("Choose the place and the item first."))
    return render_template(
        "stock/adjust.html",
        target=target,
        form=form,
        location=location,
        item=item,
        items=active_items(),
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
