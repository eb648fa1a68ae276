"""Stock operations: lots, receipts, adjustments, reversals, grants and reorder levels.

Every change of stock goes through ``ledger.post``; these functions check permissions and
business rules, flush, and never commit.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, String, bindparam, func, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.util import identity_key

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_date_problem, business_today, planning_date_problem
from hilogistics.db import begin_write, db, insert_ignoring_conflict
from hilogistics.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from hilogistics.history.recording import act_as
from hilogistics.i18n import current_locale
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.locations.models import Location, LocationKind
from hilogistics.locations.permissions import require_act_at
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    Grant,
    Lot,
    LotExpiryCorrection,
    Movement,
    ReorderLevel,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.queries.revisions import reversed_lines

STOCK_ROLES = frozenset({Role.ADMIN, Role.LOGISTICS})


def require_stock_role(actor: User | SystemActor | None) -> None:
    """Only logistics staff, administrators and the system (``SYSTEM``) post stock.

    ``None`` is refused: the command line, seeding and bulk loads name ``SYSTEM``.
    """
    if isinstance(actor, SystemActor):
        return
    if actor is None or actor.role not in STOCK_ROLES:
        raise PermissionDeniedError(_("Only logistics staff may record stock operations."))


def virtual_location(code: str) -> Location:
    """One of the virtual locations the first stock migration created (SUPPLIER, LOSS…)."""
    location = db.session.scalar(select(Location).where(Location.code == code))
    if location is None or not location.is_virtual:
        raise LookupError(f"virtual location {code} is missing: run flask db upgrade")
    return location


def _check_business_date(occurred_on: date) -> None:
    problem = business_date_problem(occurred_on)
    if problem is not None:
        raise DomainError(problem, field="occurred_on")


def _locations_with(location_id: int, virtual_code: str | None) -> dict[int | str, Location]:
    """A place by id and a virtual location by code, in one query: keyed by id and by code."""
    found: dict[int | str, Location] = {}
    query = _locations_with_query(virtual_code is not None)
    params = {"location_id": location_id, "code": virtual_code}
    for location in db.session.scalars(query, params):
        if location.id == location_id:
            found[location.id] = location
        if location.code == virtual_code and location.is_virtual:
            found[location.code] = location
    return found


@lru_cache(maxsize=2)
def _locations_with_query(with_code: bool) -> Select[tuple[Location]]:
    """``_locations_with``'s statement, with bound parameters: built once (every adjustment)."""
    wanted = [Location.id == bindparam("location_id", type_=Integer)]
    if with_code:
        wanted.append(Location.code == bindparam("code", type_=String))
    # Without the province (a join): the checks and the ledger read the columns only.
    return select(Location).where(or_(*wanted)).options(lazyload(Location.province))


def find_or_create_lot(
    *,
    item: Item,
    code: str = "",
    expires_on: date | None = None,
    serial: str | None = None,
    grant_id: int | None = None,
    recorded: Mapping[tuple[int, str], Lot] | None = None,
) -> Lot:
    """The lot of ``item`` with this code, serial and grant; created when new.

    ``recorded``: lots already read in this transaction, by (item id, identity), looked up
    first. Raises DomainError when the lot exists with another expiry date, or a serial
    number is already known for this item under another grant.
    """
    begin_write()
    code = (code or "").strip()
    serial = (serial or "").strip() or None
    identity = Lot.make_identity(code, serial, grant_id)
    lot = (recorded or {}).get((item.id, identity)) or db.session.scalar(
        select(Lot).where(Lot.item_id == item.id, Lot.identity == identity)
    )
    if lot is None:
        if serial is not None:
            clash = db.session.scalar(
                select(Lot).where(Lot.item_id == item.id, Lot.serial == serial)
            )
            if clash is not None:
                raise DomainError(
                    _(
                        "Serial number %(serial)s of %(item)s is already recorded.",
                        serial=serial,
                        item=item.code,
                    ),
                    field="serials",
                )
        # Concurrent receipts of the same new lot: the second insert is ignored, both read one row.
        db.session.execute(
            insert_ignoring_conflict(
                Lot.__table__,
                {
                    "item_id": item.id,
                    "code": code,
                    "expires_on": expires_on,
                    "serial": serial,
                    "grant_id": grant_id,
                    "identity": identity,
                },
            )
        )
        lot = db.session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.identity == identity))
    if lot is None:  # pragma: no cover - the serial constraint fired for a concurrent insert
        raise ConflictError(_("This lot was being recorded at the same time; try again."))
    if item.tracks_expiry and expires_on is not None and lot.expires_on != expires_on:
        message = _expiry_clash_message(item, code, lot.expires_on)
        raise DomainError(message, field="expires_on")
    return lot


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a receipt as entered: loose units and whole packs, lot, expiry, serials.

    ``quantity`` counts single units; ``packs`` whole packs of the item's pack size, which the
    service adds to it (:meth:`units`).
    """

    item_id: int
    quantity: int
    lot_code: str = ""
    expires_on: date | None = None
    serials: Sequence[str] = field(default_factory=tuple)
    packs: int = 0

    def units(self, item: Item) -> int:
        """The line's total in the item's base unit: packs × pack size + loose units."""
        return self.packs * item.pack_size + self.quantity


# An expiry further ahead than this after the receipt is more likely a typing mistake.
IMPLAUSIBLE_EXPIRY_YEARS = 15


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_receipt_lines(
    *,
    lines: Sequence[ReceiptLine],
    occurred_on: date,
    grant_id: int | None = None,
) -> ProblemList:
    """Every problem of every line of a receipt, found in one pass; writes nothing.

    Errors: inactive or unknown item, quantity out of range, missing expiry, serial numbers not
    one per unit, repeated within the receipt or already recorded, an expiry that clashes with
    the lot already recorded or with another line of the same lot. Warnings (to be confirmed):
    an expiry before the receipt date or more than IMPLAUSIBLE_EXPIRY_YEARS after it. Fields
    are named ``lines-N-<field>``, N counting ``lines`` from 0.
    """
    return _checked_receipt_lines(lines=lines, occurred_on=occurred_on, grant_id=grant_id)[0]


def _checked_receipt_lines(
    *,
    lines: Sequence[ReceiptLine],
    occurred_on: date,
    grant_id: int | None,
) -> tuple[ProblemList, dict[int, Item], dict[tuple[int, str], Lot]]:
    """check_receipt_lines(), with the items and the recorded lots it read (for the post)."""
    problems = ProblemList()
    items = {
        i.id: i
        for i in db.session.scalars(select(Item).where(Item.id.in_({ln.item_id for ln in lines})))
    }
    seen_serials: dict[tuple[int, str], int] = {}
    # The lots the lines name, read at once: one query, not one per line.
    identities = {Lot.make_identity((ln.lot_code or "").strip(), None, grant_id) for ln in lines}
    recorded = {
        (lot.item_id, lot.identity): lot
        for lot in db.session.scalars(
            select(Lot).where(
                Lot.item_id.in_({ln.item_id for ln in lines}), Lot.identity.in_(identities)
            )
        )
    }
    lot_expiry: dict[tuple[int, str], tuple[date | None, int]] = {}
    far = _years_after(occurred_on, IMPLAUSIBLE_EXPIRY_YEARS)
    for index, line in enumerate(lines):
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            problems.add(
                line_field(index, "item"),
                _("Choose an active item: inactive items are no longer received."),
            )
            continue
        quantity = _line_quantity_problem(problems, index, line, item)
        if item.tracks_expiry:
            _check_line_expiry(problems, index, line, item, occurred_on, far, grant_id, recorded)
            if line.expires_on is not None and not item.tracks_serial:
                key = (item.id, (line.lot_code or "").strip())
                earlier = lot_expiry.setdefault(key, (line.expires_on, index))
                if earlier[0] != line.expires_on:
                    problems.add(
                        line_field(index, "expires_on"),
                        _(
                            "Line %(line)d has the same item and lot with expiry %(expiry)s: "
                            "one lot has one expiry date.",
                            line=earlier[1] + 1,
                            expiry=earlier[0].isoformat() if earlier[0] else "",
                        ),
                    )
        if item.tracks_serial and quantity is not None:
            _check_line_serials(problems, index, line, item, quantity, seen_serials)
    return problems, items, recorded


def _line_quantity_problem(
    problems: ProblemList, index: int, line: ReceiptLine, item: Item
) -> int | None:
    """The line's quantity in units, or None after recording why it cannot be received."""
    if line.packs < 0:
        problems.add(line_field(index, "packs"), _("The number of packs cannot be negative."))
        return None
    quantity = line.units(item)
    if quantity <= 0:
        problems.add(line_field(index, "quantity"), _("The quantity must be at least 1."))
        return None
    if quantity > ledger.MAX_QUANTITY:
        problems.add(
            line_field(index, "quantity"),
            _("The quantity must be at most %(max)d.", max=ledger.MAX_QUANTITY),
        )
        return None
    return quantity


def _check_line_expiry(
    problems: ProblemList,
    index: int,
    line: ReceiptLine,
    item: Item,
    occurred_on: date,
    far: date,
    grant_id: int | None,
    recorded: dict[tuple[int, str], Lot],
) -> None:
    field_name = line_field(index, "expires_on")
    if line.expires_on is None:
        problems.add(
            field_name, _("%(item)s tracks expiry: enter the expiry date.", item=item.code)
        )
        return
    planning = planning_date_problem(line.expires_on)
    if planning is not None:
        problems.add(field_name, planning)
        return
    if line.expires_on < occurred_on:
        problems.warn(
            field_name,
            _(
                "This expiry date (%(expiry)s) is before the receipt date: the goods arrived "
                "expired. Check the date on the packaging; if it is right, tick the "
                "confirmation below to record them (then write them off).",
                expiry=line.expires_on.isoformat(),
            ),
        )
    elif line.expires_on > far:
        problems.warn(
            field_name,
            _(
                "This expiry date (%(expiry)s) is more than %(n)d years away, which is "
                "unusual. Check the date on the packaging (is the year right?); if it is "
                "right, tick the confirmation below.",
                expiry=line.expires_on.isoformat(),
                n=IMPLAUSIBLE_EXPIRY_YEARS,
            ),
        )
    if not item.tracks_serial:
        code = (line.lot_code or "").strip()
        lot = recorded.get((item.id, Lot.make_identity(code, None, grant_id)))
        if lot is not None and lot.expires_on != line.expires_on:
            problems.add(field_name, _expiry_clash_message(item, code, lot.expires_on))


def _expiry_clash_message(item: Item, code: str, expiry: date | None) -> str:
    # Name the lot in words ("no lot code", never "Lot —") and say the way out: a wrong
    # recorded date is corrected by logistics on the lot's page, a new batch gets its code.
    return _(
        "%(item)s (%(lot)s) is already recorded with expiry %(expiry)s. If that date is "
        "wrong, logistics staff can correct the lot's expiry on the lot's page (open the "
        "item, then the lot). If this delivery is another batch, enter the lot code "
        "printed on its packaging.",
        item=item.code,
        lot=_("lot %(lot)s", lot=code) if code else _("no lot code"),
        expiry=expiry.isoformat() if expiry else _("none"),
    )


def _check_line_serials(
    problems: ProblemList,
    index: int,
    line: ReceiptLine,
    item: Item,
    quantity: int,
    seen: dict[tuple[int, str], int],
) -> None:
    field_name = line_field(index, "serials")
    serials = [s.strip() for s in line.serials if s.strip()]
    if len(serials) != quantity:
        problems.add(
            field_name,
            _(
                "%(item)s tracks serial numbers: enter one per unit "
                "(%(n)d expected, %(got)d given).",
                item=item.code,
                n=quantity,
                got=len(serials),
            ),
        )
        return
    if len(set(serials)) != len(serials):
        problems.add(field_name, _("A serial number is repeated."))
        return
    for serial in serials:
        other = seen.setdefault((item.id, serial), index)
        if other != index:
            problems.add(
                field_name,
                _(
                    "Serial number %(serial)s is also on line %(line)d.",
                    serial=serial,
                    line=other + 1,
                ),
            )
            return
    known = db.session.scalars(
        select(Lot.serial).where(Lot.item_id == item.id, Lot.serial.in_(serials))
    ).all()
    if known:
        problems.add(
            field_name,
            _(
                "Serial number %(serial)s of %(item)s is already recorded.",
                serial=", ".join(sorted(known)),
                item=item.code,
            ),
        )


def record_receipt(
    *,
    actor: User | SystemActor | None,
    warehouse_id: int,
    occurred_on: date,
    lines: Sequence[ReceiptLine],
    operation_key: str,
    supplier: str = "",
    grant_id: int | None = None,
    reference: str = "",
    note: str = "",
    expiry_confirmed: bool = False,
) -> StockTransaction:
    """Record goods arriving from outside into a warehouse: supplier → warehouse.

    All lines are checked first (:func:`check_receipt_lines`); every problem is raised at once
    as LineProblems (a DomainError; field names like ``lines-2-quantity``, counting ``lines``
    from 0). Expired or implausible expiry dates are refused unless ``expiry_confirmed``.
    Also raises InvalidMovementError.
    """
    begin_write()
    require_stock_role(actor)
    asked = ledger.fingerprint_of(
        TransactionKind.RECEIPT,
        {
            "warehouse_id": warehouse_id,
            "occurred_on": occurred_on,
            "supplier": supplier.strip(),
            "grant_id": grant_id,
            "reference": reference.strip(),
            "note": note.strip(),
        },
        [
            {
                "item_id": line.item_id,
                "quantity": line.quantity,
                "packs": line.packs,
                "lot_code": (line.lot_code or "").strip(),
                "expires_on": line.expires_on,
                "serials": sorted(s.strip() for s in line.serials if s.strip()),
            }
            for line in lines
        ],
    )
    return ledger.once(
        actor=actor,
        operation_key=operation_key,
        fingerprint=asked,
        work=lambda: _record_receipt(
            actor=actor,
            warehouse_id=warehouse_id,
            occurred_on=occurred_on,
            lines=lines,
            operation_key=operation_key,
            supplier=supplier,
            grant_id=grant_id,
            reference=reference,
            note=note,
            fingerprint=asked,
            expiry_confirmed=expiry_confirmed,
        ),
    )


def _record_receipt(
    *,
    actor: User | SystemActor,
    warehouse_id: int,
    occurred_on: date,
    lines: Sequence[ReceiptLine],
    operation_key: str,
    supplier: str,
    grant_id: int | None,
    reference: str,
    note: str,
    fingerprint: str,
    expiry_confirmed: bool,
) -> StockTransaction:
    problems = ProblemList()
    # The warehouse and the supplier end in one query (both kept by the session).
    places = _locations_with(warehouse_id, "SUPPLIER")
    warehouse = places.get(warehouse_id)
    if warehouse is None or warehouse.kind is not LocationKind.WAREHOUSE or not warehouse.is_active:
        problems.add("warehouse_id", _("Choose an active warehouse."))
    date_problem = business_date_problem(occurred_on)
    if date_problem is not None:
        problems.add("occurred_on", date_problem)
    if grant_id is not None and db.session.get(Grant, grant_id) is None:
        problems.add("grant_id", _("Choose a grant from the list."))
    if not lines:
        problems.add("lines", _("Enter at least one line."))
    line_problems, items, recorded = _checked_receipt_lines(
        lines=lines, occurred_on=occurred_on, grant_id=grant_id
    )
    problems.problems.extend(line_problems)
    problems.raise_if_any(warnings_confirmed=expiry_confirmed)
    if warehouse is None:  # pragma: no cover - raise_if_any raised for it
        raise DomainError(_("Choose an active warehouse."), field="warehouse_id")
    supplier_location = places.get("SUPPLIER") or virtual_location("SUPPLIER")
    ledger_lines: list[ledger.Line] = []
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        item = items[line.item_id]
        quantity = line.units(item)
        if item.tracks_serial:
            for serial in (s.strip() for s in line.serials if s.strip()):
                lot = _lot_for_line(item, line, prefix, serial=serial, grant_id=grant_id)
                ledger_lines.append(
                    ledger.Line(item.id, lot.id, 1, supplier_location.id, warehouse.id)
                )
        else:
            lot = _lot_for_line(
                item, line, prefix, serial=None, grant_id=grant_id, recorded=recorded
            )
            ledger_lines.append(
                ledger.Line(item.id, lot.id, quantity, supplier_location.id, warehouse.id)
            )
    posted = ledger.post(
        kind=TransactionKind.RECEIPT,
        lines=ledger_lines,
        actor=actor,
        occurred_on=occurred_on,
        operation_key=operation_key,
        location_id=warehouse.id,
        reference=reference.strip(),
        supplier=supplier.strip(),
        grant_id=grant_id,
        note=note.strip(),
        fingerprint=fingerprint,
        receive_expired=expiry_confirmed,
    )
    return posted.transaction


def _lot_for_line(
    item: Item,
    line: ReceiptLine,
    prefix: str,
    *,
    serial: str | None,
    grant_id: int | None,
    recorded: dict[tuple[int, str], Lot] | None = None,
) -> Lot:
    try:
        return find_or_create_lot(
            item=item,
            code=line.lot_code,
            expires_on=line.expires_on if item.tracks_expiry else None,
            serial=serial,
            grant_id=grant_id,
            recorded=recorded,
        )
    except DomainError as error:
        error.field = prefix + (error.field or "lot_code")
        raise


def adjust_stock(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    item_id: int,
    lot_id: int,
    quantity: int,
    direction: AdjustmentDirection,
    reason_id: int,
    occurred_on: date,
    operation_key: str,
    note: str = "",
) -> StockTransaction:
    """Correct the stock of one lot at a location, with a reason.

    Out: location → loss/count; in: loss/count → location. Raises DomainError or
    InsufficientStockError.
    """
    # The role before the write lock: the user as this request loaded it (and checked its
    # access), not read again after begin_write() expired it on SQLite.
    require_stock_role(actor)
    begin_write()
    asked = ledger.fingerprint_of(
        TransactionKind.ADJUSTMENT,
        {
            "location_id": location_id,
            "direction": direction,
            "reason_id": reason_id,
            "occurred_on": occurred_on,
            "note": note.strip(),
        },
        [{"item_id": item_id, "lot_id": lot_id, "quantity": quantity}],
    )

    def work() -> StockTransaction:
        return _adjust_stock(
            actor=actor,
            location_id=location_id,
            item_id=item_id,
            lot_id=lot_id,
            quantity=quantity,
            direction=direction,
            reason_id=reason_id,
            occurred_on=occurred_on,
            operation_key=operation_key,
            note=note,
            fingerprint=asked,
        )

    # One post and nothing else written: no key look-up first, no savepoint around the post's.
    return ledger.once(
        actor=actor, operation_key=operation_key, fingerprint=asked, work=work, single_post=True
    )


def _loaded_lot(lot_id: int) -> Lot | None:
    """The lot as this transaction already loaded it (with its item), else read with its item.

    On PostgreSQL the adjust form has just read both in the same transaction. On SQLite
    ``begin_write()`` expired them (read before the write lock): they are read again.
    """
    lot = _loaded(Lot, lot_id)
    if lot is not None and _loaded(Item, lot.item_id) is not None:
        return lot
    return db.session.scalar(_lot_with_item_query(), {"lot_id": lot_id})


@lru_cache(maxsize=1)
def _lot_with_item_query() -> Select[tuple[Lot]]:
    """A lot with its item, built once: their columns only.

    The checks and the ledger read no relationship of either (the item's category and unit,
    the lot's grant), which would cost four joins.
    """
    return (
        select(Lot)
        .where(Lot.id == bindparam("lot_id", type_=Integer))
        .options(joinedload(Lot.item).lazyload("*"), lazyload(Lot.grant))
    )


def _loaded(model: type[Lot] | type[Item], key: int) -> Lot | Item | None:
    """The row the session holds loaded with this id (no column expired), or None."""
    row = db.session.identity_map.get(identity_key(model, key))
    if row is None or inspect(row).expired_attributes.intersection(
        inspect(model).column_attrs.keys()
    ):
        return None
    return row


def _adjust_stock(
    *,
    actor: User | SystemActor,
    location_id: int,
    item_id: int,
    lot_id: int,
    quantity: int,
    direction: AdjustmentDirection,
    reason_id: int,
    occurred_on: date,
    operation_key: str,
    note: str,
    fingerprint: str,
) -> StockTransaction:
    reason = db.session.get(AdjustmentReason, reason_id)
    # The place and the loss or count location in one query (both kept by the session).
    places = _locations_with(location_id, reason.counterpart_code if reason else None)
    location = places.get(location_id)
    if location is None or not location.kind.is_physical or not location.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="location_id"
        )
    if reason is None or not reason.is_active:
        raise DomainError(_("Choose a reason from the list."), field="reason_id")
    if direction is AdjustmentDirection.BOTH:
        raise DomainError(_("Choose whether stock goes out or comes in."), field="direction")
    if reason.direction is not AdjustmentDirection.BOTH and reason.direction is not direction:
        raise DomainError(
            _(
                "The reason “%(reason)s” does not fit this direction.",
                reason=reason.display_name(current_locale()),
            ),
            field="reason_id",
        )
    # The lot with its item, which the ledger then finds loaded: none when the form has just
    # listed the item's lots in this transaction, else one query for both.
    lot = _loaded_lot(lot_id)
    if lot is None or lot.item_id != item_id:
        raise DomainError(_("Choose a lot of this item."), field="lot_id")
    if quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    if not note.strip():
        raise DomainError(_("Explain the adjustment in a note."), field="note")
    _check_business_date(occurred_on)
    counterpart = places.get(reason.counterpart_code) or virtual_location(reason.counterpart_code)
    source, target = (
        (location.id, counterpart.id)
        if direction is AdjustmentDirection.OUT
        else (counterpart.id, location.id)
    )
    try:
        posted = ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(item_id, lot.id, quantity, source, target, reason_id=reason.id)],
            actor=actor,
            occurred_on=occurred_on,
            operation_key=operation_key,
            location_id=location.id,
            reason_id=reason.id,
            note=note.strip(),
            fingerprint=fingerprint,
        )
    except InsufficientStockError as error:
        # One line: a shortage is about the quantity asked, and the form shows it there.
        error.field = error.field or "quantity"
        raise
    return posted.transaction


def reverse_transaction(
    *,
    actor: User | SystemActor | None,
    transaction_id: int,
    note: str,
    operation_key: str,
    occurred_on: date | None = None,
    movement_ids: Sequence[int] | None = None,
) -> StockTransaction:
    """Post the mirror image of a transaction's lines (``movement_ids``; None: all not yet undone).

    A transaction may be reversed in several parts, each line once: the database refuses a
    second reversal of a line even when two are posted at the same moment. Raises DomainError
    when a chosen line was already reversed, none is chosen, the transaction is itself a
    reversal, or the reversal would be dated before it; InsufficientStockError when the stock
    has moved on since.
    """
    begin_write()
    require_stock_role(actor)
    chosen = None if movement_ids is None else sorted(set(movement_ids))
    asked = ledger.fingerprint_of(
        TransactionKind.REVERSAL,
        {
            "transaction_id": transaction_id,
            "note": note.strip(),
            "occurred_on": occurred_on,
            "movement_ids": chosen,
        },
        [],
    )
    return ledger.once(
        actor=actor,
        operation_key=operation_key,
        fingerprint=asked,
        work=lambda: _reverse_transaction(
            actor=actor,
            transaction_id=transaction_id,
            note=note,
            operation_key=operation_key,
            occurred_on=occurred_on,
            movement_ids=chosen,
            fingerprint=asked,
        ),
    )


def _reverse_transaction(
    *,
    actor: User | SystemActor,
    transaction_id: int,
    note: str,
    operation_key: str,
    occurred_on: date | None,
    movement_ids: list[int] | None,
    fingerprint: str,
) -> StockTransaction:
    original = db.session.get(StockTransaction, transaction_id)
    if original is None:
        raise NotFoundError(_("No such transaction."))
    if original.kind is TransactionKind.REVERSAL:
        raise DomainError(_("A reversal cannot be reversed; record the operation again instead."))
    undone = reversed_lines(original)
    if movement_ids is None:
        chosen = [m for m in original.movements if m.id not in undone]
        if not chosen:
            raise DomainError(_("This transaction has already been reversed."))
    else:
        by_id = {m.id: m for m in original.movements}
        if not movement_ids:
            raise DomainError(_("Choose at least one line to reverse."), field="lines")
        if any(i not in by_id for i in movement_ids):
            raise DomainError(_("Choose lines of this transaction."), field="lines")
        again = [i for i in movement_ids if i in undone]
        if again:
            raise DomainError(
                _(
                    "Line %(n)d was already reversed by transaction %(by)d.",
                    n=list(by_id).index(again[0]) + 1,
                    by=undone[again[0]],
                ),
                field="lines",
            )
        chosen = [by_id[i] for i in movement_ids]
    if not note.strip():
        raise DomainError(_("Explain why in a note."), field="note")
    occurred_on = occurred_on or business_today()
    _check_business_date(occurred_on)
    if occurred_on < original.occurred_on:
        raise DomainError(
            _(
                "A reversal cannot be dated before the transaction it reverses (%(date)s).",
                date=original.occurred_on.isoformat(),
            ),
            field="occurred_on",
        )
    lines = [
        ledger.Line(
            m.item_id,
            m.lot_id,
            m.quantity,
            m.to_location_id,
            m.from_location_id,
            reason_id=m.reason_id,
            reverses_movement_id=m.id,
        )
        for m in chosen
    ]
    try:
        posted = ledger.post(
            kind=TransactionKind.REVERSAL,
            lines=lines,
            actor=actor,
            occurred_on=occurred_on,
            operation_key=operation_key,
            location_id=original.location_id,
            reference=original.reference,
            grant_id=original.grant_id,
            note=note.strip(),
            reverses_id=original.id,
            fingerprint=fingerprint,
        )
    except IntegrityError as error:  # a concurrent reversal of a chosen line won the unique key
        if movement_ids is None:
            raise DomainError(_("This transaction has already been reversed.")) from error
        raise DomainError(_("A chosen line was reversed meanwhile; reload the page.")) from error
    return posted.transaction


def correct_lot_expiry(
    *,
    actor: User | SystemActor | None,
    lot_id: int,
    expires_on: date | None,
    reason: str,
) -> LotExpiryCorrection:
    """Correct a lot's expiry date, recording the old and new dates, why, who and when.

    Logistics staff and administrators only, at every place holding the lot. Raises
    DomainError for an item without expiry dates, a missing or implausible date, the same
    date, a date before the lot was received (the receipt would have been refused), or no
    reason; ConflictError when the lot was corrected meanwhile.
    """
    begin_write()
    require_stock_role(actor)
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFoundError(_("No such lot."))
    held_at = db.session.scalars(
        select(Balance.location_id)
        .where(Balance.lot_id == lot.id, Balance.is_guarded, Balance.quantity != 0)
        .order_by(Balance.location_id)
    ).all()
    for location_id in held_at:
        require_act_at(actor, location_id)
    if not lot.item.tracks_expiry:
        raise DomainError(
            _("%(item)s does not track expiry dates.", item=lot.item.code), field="expires_on"
        )
    if expires_on is None:
        raise DomainError(_("Enter the correct expiry date."), field="expires_on")
    problem = planning_date_problem(expires_on)
    if problem is not None:
        raise DomainError(problem, field="expires_on")
    if expires_on == lot.expires_on:
        raise DomainError(_("The lot already has this expiry date."), field="expires_on")
    received = db.session.scalar(
        select(func.min(Movement.occurred_on))
        .join(Location, Location.id == Movement.from_location_id)
        .where(Movement.lot_id == lot.id, Location.kind == LocationKind.SUPPLIER)
    )
    if received is not None and expires_on < received:
        raise DomainError(
            _(
                "The lot was received on %(date)s: it cannot have expired before then.",
                date=received.isoformat(),
            ),
            field="expires_on",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the date is corrected (where the right date was read)."), field="reason"
        )
    if len(reason) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="reason")
    old = lot.expires_on
    # Guarded by the date read: of two corrections at once, the second finds it changed.
    changed = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.expires_on.is_(None) if old is None else Lot.expires_on == old)
        .values(expires_on=expires_on)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ConflictError(
            _("The lot's expiry was corrected meanwhile; reload the page."), field="expires_on"
        )
    correction = LotExpiryCorrection(
        lot_id=lot.id,
        old_expires_on=old,
        new_expires_on=expires_on,
        reason=reason,
        actor_id=actor.id,
    )
    db.session.add(correction)
    db.session.flush()
    db.session.refresh(lot, ["expires_on"])
    return correction


def save_grant(
    *,
    actor: User | SystemActor | None,
    code: str,
    donor: str,
    title: str,
    starts_on: date,
    ends_on: date,
    is_active: bool = True,
    grant: Grant | None = None,
) -> Grant:
    """Create a grant, or update ``grant``; no stock moves.

    Codes compare without case (``ECHO-2026`` and ``echo-2026`` are one grant). Raises
    PermissionDeniedError for viewers and technicians, DomainError on a missing or too long
    code, donor or title, a date before the programme or absurdly far ahead, or a period that
    ends before it starts; ConflictError on a taken code (the database holds codes unique
    regardless of case, so a concurrent save of the same code is refused too).
    """
    begin_write()
    require_stock_role(actor)
    act_as(actor)
    code = (code or "").strip()
    for name, value, limit, missing in (
        ("code", code, 40, _("Enter the grant code.")),
        ("donor", (donor or "").strip(), 120, _("Enter the donor.")),
        ("title", (title or "").strip(), 200, _("Enter the title of the grant.")),
    ):
        if not value:
            raise DomainError(missing, field=name)
        if len(value) > limit:
            raise DomainError(_("At most %(n)d characters.", n=limit), field=name)
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        problem = planning_date_problem(day)
        if problem is not None:
            raise DomainError(problem, field=name)
    if ends_on < starts_on:
        raise DomainError(_("The grant cannot end before it starts."), field="ends_on")
    taken = _("The grant code %(code)s is already used.", code=code)
    clash = db.session.scalar(select(Grant).where(func.lower(Grant.code) == code.lower()))
    if clash is not None and clash is not grant:
        raise ConflictError(taken, field="code")
    if grant is None:
        grant = Grant()
        db.session.add(grant)
    grant.code, grant.donor, grant.title = code, donor.strip(), title.strip()
    grant.starts_on, grant.ends_on, grant.is_active = starts_on, ends_on, is_active
    try:
        db.session.flush()
    except IntegrityError as error:  # the same code saved at the same moment; caller rolls back
        raise ConflictError(taken, field="code") from error
    return grant


def set_reorder_level(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    item_id: int,
    minimum: int | None,
    maximum: int | None,
) -> ReorderLevel | None:
    """Set (or, with no minimum and no maximum, remove) the reorder level of an item at a place."""
    begin_write()
    require_stock_role(actor)
    act_as(actor)
    problem = _level_problem(minimum, maximum)
    if problem is not None:
        raise DomainError(problem, field="maximum")
    level = db.session.scalar(
        select(ReorderLevel).where(
            ReorderLevel.location_id == location_id, ReorderLevel.item_id == item_id
        )
    )
    return _apply_level(level, location_id, item_id, minimum, maximum)


def _level_problem(minimum: int | None, maximum: int | None) -> str | None:
    if minimum is None and maximum is None:
        return None  # removes the level
    low = minimum or 0
    if low < 0 or (maximum is not None and maximum < low):
        return _("The maximum must be at least the minimum.")
    return None


def _apply_level(
    level: ReorderLevel | None,
    location_id: int,
    item_id: int,
    minimum: int | None,
    maximum: int | None,
) -> ReorderLevel | None:
    if minimum is None and maximum is None:
        if level is not None:
            db.session.delete(level)
            db.session.flush()
        return None
    if level is None:
        level = ReorderLevel(location_id=location_id, item_id=item_id)
        db.session.add(level)
    level.minimum, level.maximum = minimum or 0, maximum
    db.session.flush()
    return level


@dataclass(frozen=True)
class LevelRow:
    """One row of a page of reorder levels: an item (None: not a valid id) and its levels."""

    item_id: int | None
    minimum: int | None
    maximum: int | None


class RowProblem(NamedTuple):
    """Why one row of a page was refused: its position, the field, the message."""

    row: int
    field: str
    message: str


class RowsRefusedError(DomainError):
    """Rows of a page were refused; ``problems`` lists every one, and nothing was written."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(problems[0].message, field=None)
        self.problems = list(problems)


def reorder_level_problems(*, levels: Sequence[LevelRow]) -> list[RowProblem]:
    """What is wrong with each row of a page of reorder levels (nothing written)."""
    item_ids = [row.item_id for row in levels if row.item_id is not None]
    known = (
        set(db.session.scalars(select(Item.id).where(Item.id.in_(item_ids)))) if item_ids else set()
    )
    problems = []
    for index, row in enumerate(levels):
        if row.item_id is None or row.item_id not in known:
            problems.append(RowProblem(index, "minimum", _("Unknown item.")))
            continue
        problem = _level_problem(row.minimum, row.maximum)
        if problem is not None:
            problems.append(RowProblem(index, "maximum", problem))
    return problems


def save_reorder_levels(
    *, actor: User | SystemActor | None, location_id: int, levels: Sequence[LevelRow]
) -> int:
    """Set the reorder levels of a page of items at one place, all or none; no stock moves.

    Every row is checked first; rows equal to what is recorded are left alone, a row with no
    minimum and no maximum removes the level. Returns how many rows changed. Raises
    PermissionDeniedError, DomainError for a place that holds no stock of its own, and
    RowsRefusedError naming every refused row (then nothing is written).
    """
    begin_write()
    require_stock_role(actor)
    act_as(actor)
    location = db.session.get(Location, location_id)
    if location is None or not location.kind.is_physical:
        raise DomainError(_("Choose a warehouse, centre, school or camp."), field="location_id")
    problems = reorder_level_problems(levels=levels)
    if problems:
        raise RowsRefusedError(problems)
    item_ids = [row.item_id for row in levels if row.item_id is not None]
    current = {
        level.item_id: level
        for level in db.session.scalars(
            select(ReorderLevel).where(
                ReorderLevel.location_id == location_id, ReorderLevel.item_id.in_(item_ids)
            )
        )
    }
    changed = 0
    for row in levels:
        if row.item_id is None:  # pragma: no cover - reorder_level_problems refused it
            continue
        level = current.get(row.item_id)
        recorded = (level.minimum, level.maximum) if level is not None else (None, None)
        if (row.minimum, row.maximum) == recorded:
            continue
        _apply_level(level, location_id, row.item_id, row.minimum, row.maximum)
        changed += 1
    return changed
