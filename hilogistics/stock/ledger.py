"""The stock ledger: ``post()`` is the only code that writes movements or changes balances.

Within the caller's transaction it (1) inserts the StockTransaction first, whose UNIQUE operation
key turns a replay into a lookup; (2) validates the lines; (3) inserts the movements; (4) applies
each balance change in (location, item, lot) order with a guarded UPDATE that refuses to go below
zero. It flushes but never commits. See DESIGN.md section 2 (which puts the movements last:
here they go first so that the contended balance rows stay locked for the shortest time).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import begin_write, db, insert_ignoring_conflict
from hilogistics.locations.models import Location
from hilogistics.stock.errors import InsufficientStockError, InvalidMovementError
from hilogistics.stock.models import Balance, Lot, Movement, StockTransaction, TransactionKind

MAX_QUANTITY = 10_000_000


@dataclass(frozen=True)
class Line:
    """One movement to post: ``quantity`` of an item lot from one location to another."""

    item_id: int
    lot_id: int
    quantity: int
    from_location_id: int
    to_location_id: int


@dataclass(frozen=True)
class Posted:
    """The transaction posted, and whether this call created it (False: a replay)."""

    transaction: StockTransaction
    created: bool


def find_by_operation_key(operation_key: str) -> StockTransaction | None:
    """The transaction an earlier submission with this key posted, if any."""
    return db.session.scalar(
        select(StockTransaction).where(StockTransaction.operation_key == operation_key)
    )


def post(
    *,
    kind: TransactionKind,
    lines: Sequence[Line],
    actor: User | None,
    occurred_on: date,
    operation_key: str,
    location_id: int | None = None,
    reference: str | None = None,
    supplier: str | None = None,
    grant_id: int | None = None,
    reason_id: int | None = None,
    note: str = "",
    reverses_id: int | None = None,
) -> Posted:
    """Post one stock transaction. Raises InvalidMovementError or InsufficientStockError.

    A second call with the same ``operation_key`` returns the first transaction, unchanged.
    """
    begin_write()
    if not operation_key or len(operation_key) > 64:
        raise InvalidMovementError(_("The form is missing its one-time key. Reload the page."))
    earlier = find_by_operation_key(operation_key)
    if earlier is not None:
        return Posted(earlier, created=False)
    if not lines:
        raise InvalidMovementError(_("Enter at least one line."))

    transaction = StockTransaction(
        operation_key=operation_key,
        kind=kind,
        occurred_on=occurred_on,
        actor_id=actor.id if actor else None,
        location_id=location_id,
        reference=reference or None,
        supplier=supplier or None,
        grant_id=grant_id,
        reason_id=reason_id,
        note=note or "",
        reverses_id=reverses_id,
    )
    try:
        # A savepoint, so that losing a race for the key leaves the outer transaction usable.
        with db.session.begin_nested():
            db.session.add(transaction)
            db.session.flush()
    except IntegrityError:
        earlier = find_by_operation_key(operation_key)
        if earlier is None:  # the clash was on something else (a second reversal, say)
            raise
        return Posted(earlier, created=False)

    _validate(lines)
    # Movements before balances: the guarded UPDATEs take the row locks other posts wait for, so
    # they come last and the locks are held only until the caller commits.
    db.session.execute(
        insert(Movement),
        [
            {
                "transaction_id": transaction.id,
                "item_id": line.item_id,
                "lot_id": line.lot_id,
                "quantity": line.quantity,
                "from_location_id": line.from_location_id,
                "to_location_id": line.to_location_id,
                "occurred_on": occurred_on,
            }
            for line in lines
        ],
    )
    _apply_balances(lines)
    return Posted(transaction, created=True)


def _validate(lines: Sequence[Line]) -> None:
    item_ids = {line.item_id for line in lines}
    lot_ids = {line.lot_id for line in lines}
    location_ids = {line.from_location_id for line in lines} | {
        line.to_location_id for line in lines
    }
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}
    locations = {
        loc.id: loc
        for loc in db.session.scalars(select(Location).where(Location.id.in_(location_ids)))
    }
    for number, line in enumerate(lines, start=1):
        item = items.get(line.item_id)
        lot = lots.get(line.lot_id)
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool):
            raise InvalidMovementError(
                _("Line %(n)d: the quantity must be a whole number.", n=number)
            )
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise InvalidMovementError(
                _(
                    "Line %(n)d: the quantity must be between 1 and %(max)d.",
                    n=number,
                    max=MAX_QUANTITY,
                )
            )
        if item is None or not item.is_active:
            raise InvalidMovementError(_("Line %(n)d: the item is unknown or inactive.", n=number))
        if lot is None or lot.item_id != item.id:
            raise InvalidMovementError(
                _("Line %(n)d: the lot does not belong to item %(code)s.", n=number, code=item.code)
            )
        if item.tracks_expiry and lot.expires_on is None:
            raise InvalidMovementError(
                _("Line %(n)d: item %(code)s needs an expiry date.", n=number, code=item.code)
            )
        if item.tracks_serial and (not lot.serial or line.quantity != 1):
            raise InvalidMovementError(
                _(
                    "Line %(n)d: item %(code)s moves one serial number per line.",
                    n=number,
                    code=item.code,
                )
            )
        if line.from_location_id == line.to_location_id:
            raise InvalidMovementError(_("Line %(n)d: from and to are the same place.", n=number))
        for location_id in (line.from_location_id, line.to_location_id):
            location = locations.get(location_id)
            if location is None or not location.is_active:
                raise InvalidMovementError(
                    _("Line %(n)d: the location is unknown or inactive.", n=number)
                )


def _apply_balances(lines: Sequence[Line]) -> None:
    deltas: dict[tuple[int, int, int], int] = defaultdict(int)
    for line in lines:
        deltas[(line.from_location_id, line.item_id, line.lot_id)] -= line.quantity
        deltas[(line.to_location_id, line.item_id, line.lot_id)] += line.quantity
    location_ids = {location_id for location_id, _item, _lot in deltas}
    guarded = {
        location.id: location.kind.is_guarded
        for location in db.session.scalars(select(Location).where(Location.id.in_(location_ids)))
    }
    # One fixed order for every writer, so two posts never wait on each other in a cycle.
    for location_id, item_id, lot_id in sorted(deltas):
        delta = deltas[(location_id, item_id, lot_id)]
        if delta == 0:
            continue
        db.session.execute(
            insert_ignoring_conflict(
                Balance.__table__,
                {
                    "location_id": location_id,
                    "item_id": item_id,
                    "lot_id": lot_id,
                    "quantity": 0,
                    "reserved": 0,
                    "is_guarded": guarded[location_id],
                },
            )
        )
        # The guard is in the WHERE clause: the database re-checks it against the committed row
        # after any lock wait, so two concurrent takers can never both pass (no read-check-write).
        result = db.session.execute(
            update(Balance)
            .where(
                Balance.location_id == location_id,
                Balance.item_id == item_id,
                Balance.lot_id == lot_id,
                or_(~Balance.is_guarded, and_(Balance.quantity + delta >= 0)),
            )
            .values(quantity=Balance.quantity + delta)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            _raise_insufficient(location_id, item_id, lot_id, -delta)


def _raise_insufficient(location_id: int, item_id: int, lot_id: int, wanted: int) -> None:
    item = db.session.get(Item, item_id)
    lot = db.session.get(Lot, lot_id)
    location = db.session.get(Location, location_id)
    on_hand = db.session.scalar(
        select(Balance.quantity).where(
            Balance.location_id == location_id, Balance.item_id == item_id, Balance.lot_id == lot_id
        )
    )
    raise InsufficientStockError(
        _(
            "Not enough stock of %(item)s (lot %(lot)s) at %(location)s: "
            "%(wanted)d wanted, %(on_hand)d on hand.",
            item=item.code if item else item_id,
            lot=lot.label if lot else lot_id,
            location=location.name if location else location_id,
            wanted=wanted,
            on_hand=on_hand or 0,
        )
    )
