"""The stock ledger: ``post()``, ``reserve()`` and ``release()`` alone write stock.

They are the only code that writes movements, balances or reservations. Within the caller's
transaction, and all-or-nothing on its own (a savepoint), ``post()`` (1) inserts the
StockTransaction first, whose operation key is unique per actor, so a replay turns into a lookup,
and whose fingerprint tells a replay from another form sent with the same key; (2) validates the
lines; (3) inserts the movements; (4) takes its row locks in one global order: the reservations it
fulfils, the serial lots it moves, then for each (location, item) its lot rows and its item row,
all sorted; every take from a guarded place is a guarded UPDATE that refuses to go below zero, on
the lot (``quantity``) and on the item (``on_hand - reserved``); (5) adds the lines to the stock
summaries (``stock/summaries.py``), after every balance row; on PostgreSQL (3) to (5) are usually
one chained statement (``_apply_chained``). It flushes but never commits. See
DESIGN.md sections 2 and 2b (which put the movements last: here they go first so that the contended
rows stay locked for the shortest time).
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    Integer,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from hilogistics.actors import SYSTEM, SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import begin_write, db, insert_ignoring_conflict
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.i18n import current_locale
from hilogistics.locations.models import Location, LocationKind
from hilogistics.reports import distribution_months, stockout_spans
from hilogistics.stock import summaries
from hilogistics.stock.errors import (
    InsufficientStockError,
    InvalidMovementError,
    ReplayConflictError,
)
from hilogistics.stock.models import (
    Balance,
    ItemBalance,
    Lot,
    Movement,
    Reservation,
    StockTransaction,
    TransactionKind,
)

MAX_QUANTITY = 10_000_000

# Where stock of an inactive item or an expired lot may still go: out of use, or back to a
# warehouse. It may not come in from a supplier, go to a centre, school or camp, or to people.
_EXIT_KINDS = frozenset({LocationKind.LOSS, LocationKind.COUNT, LocationKind.WAREHOUSE})


@dataclass(frozen=True)
class Line:
    """One movement to post: ``quantity`` of an item lot from one location to another.

    ``reservation_id`` names the reservation at the origin that this line fulfils: the post
    lowers it, and the item's reserved quantity, instead of taking from what is available.
    """

    item_id: int
    lot_id: int
    quantity: int
    from_location_id: int
    to_location_id: int
    reason_id: int | None = None
    note: str = ""
    reservation_id: int | None = None
    # A reversal's line: the movement it undoes (unique in the database: undone once only).
    reverses_movement_id: int | None = None


@dataclass(frozen=True)
class Posted:
    """The transaction posted, and whether this call created it (False: a replay)."""

    transaction: StockTransaction
    created: bool


def _actor_id(actor: User | SystemActor | None) -> int | None:
    if actor is None:
        # A forgotten actor must never mean "the system": callers name SYSTEM explicitly.
        raise PermissionDeniedError(_("No one is signed in to record this."))
    if isinstance(actor, User):
        # A user expired by begin_write() keeps its identity: its id needs no SELECT.
        identity = inspect(actor).identity
        if identity is not None:
            return identity[0]
    return actor.id


def fingerprint_of(
    kind: TransactionKind | str, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> str:
    """sha256 of a canonical JSON of what was asked: kind, header and the lines, sorted."""

    def canonical(value: object) -> str:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))

    content = {
        "kind": str(kind),
        "header": dict(header),
        "lines": sorted(canonical(dict(line)) for line in lines),
    }
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def find_by_operation_key(
    operation_key: str, *, actor: User | SystemActor | None
) -> StockTransaction | None:
    """The transaction an earlier submission of ``actor`` with this key posted, if any."""
    return db.session.scalar(
        select(StockTransaction).where(
            StockTransaction.actor_key == (_actor_id(actor) or 0),
            StockTransaction.operation_key == operation_key,
        )
    )


def replayed(
    *, actor: User | SystemActor | None, operation_key: str, fingerprint: str | None
) -> StockTransaction | None:
    """The transaction this key already posted when the content is the same; None when new.

    Raises ReplayConflictError when the key was used with other content: a form sent again
    after being changed must not be answered with the first result, nor posted twice.
    """
    earlier = find_by_operation_key(operation_key, actor=actor)
    if earlier is None:
        return None
    # Rows posted before fingerprints existed have none: their replays are answered as before.
    if earlier.fingerprint is not None and fingerprint is not None:
        if earlier.fingerprint != fingerprint:
            raise ReplayConflictError(
                _(
                    "This form was already sent with other content (transaction %(id)d). "
                    "Reload the page to start a new one.",
                    id=earlier.id,
                )
            )
    return earlier


# (operation key, fingerprint) that once() looked up before calling its work, for post().
_REPLAY_CHECKED: ContextVar[tuple[str, str] | None] = ContextVar(
    "hilogistics_replay_checked", default=None
)


def once(
    *,
    actor: User | SystemActor | None,
    operation_key: str,
    fingerprint: str,
    work: Callable[[], StockTransaction],
    single_post: bool = False,
) -> StockTransaction:
    """Run a service's ``work`` once per operation key, all-or-nothing (a savepoint).

    A replay with the same content returns the earlier transaction without re-validating. When
    ``work`` is refused but the same key was posted meanwhile (a form sent twice at once: the
    second fails a check the first passed, such as its serial numbers being recorded), the
    first result is returned all the same.

    ``single_post``: ``work`` only reads, then writes through one ``post()`` (an adjustment).
    That post is all-or-nothing on its own (its savepoint), and its key's unique index turns a
    replay into the earlier result (``post()`` looks the key up on the clash), so the key is not
    looked up first and no second savepoint is taken: three statements fewer per post. A replay
    is then checked again before it is answered; one the checks refuse is answered all the same.
    """
    if not operation_key or len(operation_key) > 64:
        raise InvalidMovementError(_("The form is missing its one-time key. Reload the page."))
    if not single_post:
        earlier = replayed(actor=actor, operation_key=operation_key, fingerprint=fingerprint)
        if earlier is not None:
            return earlier
    token = _REPLAY_CHECKED.set((operation_key, fingerprint))
    try:
        if single_post:
            return work()
        with db.session.begin_nested():
            return work()
    except DomainError:
        earlier = replayed(actor=actor, operation_key=operation_key, fingerprint=fingerprint)
        if earlier is not None:
            return earlier
        raise
    finally:
        _REPLAY_CHECKED.reset(token)


def post(
    *,
    kind: TransactionKind,
    lines: Sequence[Line],
    actor: User | SystemActor | None,
    occurred_on: date,
    operation_key: str,
    location_id: int | None = None,
    reference: str | None = None,
    supplier: str | None = None,
    grant_id: int | None = None,
    reason_id: int | None = None,
    note: str = "",
    reverses_id: int | None = None,
    document_id: int | None = None,
    fingerprint: str | None = None,
    receive_expired: bool = False,
    bound_for_id: int | None = None,
) -> Posted:
    """Post one stock transaction, all or nothing (raises a DomainError subclass otherwise).

    ``receive_expired``: a receipt may bring in lots already expired, because the clerk
    confirmed that they arrived so (they are recorded to be written off).
    ``bound_for_id``: where a dispatch to transit is going. Bound for a warehouse, it is a
    return, and expired lots and inactive items may go (DESIGN.md 2b: back to a warehouse).

    InvalidMovementError, InsufficientStockError or ReplayConflictError. A second call with the
    same actor and ``operation_key`` returns the first transaction, unchanged, when it asks the
    same (``fingerprint``: what the caller was asked; by default computed from these arguments).
    """
    begin_write()
    actor_id = _actor_id(actor)
    if not operation_key or len(operation_key) > 64:
        raise InvalidMovementError(_("The form is missing its one-time key. Reload the page."))
    if fingerprint is None:
        fingerprint = fingerprint_of(
            kind,
            {
                "location_id": location_id,
                "occurred_on": occurred_on,
                "reference": reference or None,
                "supplier": supplier or None,
                "grant_id": grant_id,
                "reason_id": reason_id,
                "note": note or "",
                "reverses_id": reverses_id,
                "document_id": document_id,
            },
            [line.__dict__ for line in lines],
        )
    # Inside once() for this very post, once() has just looked the key up in the same
    # transaction (or, for a single post, left a replay to the key's unique index): a second
    # look would only see a send of the same form, which the key's unique index catches below.
    # (The savepoint stays: post() is all-or-nothing on its own, DESIGN §2b, even inside once().)
    if _REPLAY_CHECKED.get() != (operation_key, fingerprint):
        earlier = replayed(actor=actor, operation_key=operation_key, fingerprint=fingerprint)
        if earlier is not None:
            return Posted(earlier, created=False)
    if not lines:
        raise InvalidMovementError(_("Enter at least one line."))

    transaction = StockTransaction(
        operation_key=operation_key,
        fingerprint=fingerprint,
        kind=kind,
        occurred_on=occurred_on,
        actor_id=actor_id,
        actor_key=actor_id or 0,
        location_id=location_id,
        reference=reference or None,
        supplier=supplier or None,
        grant_id=grant_id,
        reason_id=reason_id,
        note=note or "",
        reverses_id=reverses_id,
        document_id=document_id,
    )
    try:
        # One savepoint around everything: a refused post leaves nothing behind, even when the
        # caller catches the error and goes on in the same transaction.
        with db.session.begin_nested():
            db.session.add(transaction)
            db.session.flush()
            bound_for = db.session.get(Location, bound_for_id) if bound_for_id else None
            lots, locations = _validate(
                kind, occurred_on, lines, receive_expired=receive_expired, bound_for=bound_for
            )
            # Movements, balances, then summaries (one statement on PostgreSQL); the place's
            # stock after the post comes back with the balances, for the stock-out spans.
            on_hand = _write(transaction.id, occurred_on, lines, lots, locations)
            stockout_spans.record(lines, occurred_on, locations, on_hand=on_hand)
            distribution_months.record(transaction)
    except IntegrityError:
        # Lost the race for the key to a concurrent send: answer as a replay would.
        earlier = replayed(actor=actor, operation_key=operation_key, fingerprint=fingerprint)
        if earlier is None:  # the clash was on something else (a second reversal, say)
            raise
        return Posted(earlier, created=False)
    return Posted(transaction, created=True)


def reserve(
    *,
    actor: User | SystemActor | None,
    holder: str,
    location_id: int,
    item_id: int,
    quantity: int,
) -> Reservation:
    """Set aside ``quantity`` more of an item at a place for ``holder`` (a requisition line).

    Guarded like a take: refused with InsufficientStockError when the place has less
    available (on hand less reserved). A holder keeps one place and item.
    """
    begin_write()
    _actor_id(actor)
    holder = (holder or "").strip()
    if not holder or len(holder) > 64:
        raise InvalidMovementError(_("A reservation needs a holder of at most 64 characters."))
    _check_quantity(quantity, 1)
    location = db.session.get(Location, location_id)
    if location is None or not location.kind.is_physical or not location.is_active:
        raise InvalidMovementError(_("Stock can be reserved only at an active physical place."))
    item = db.session.get(Item, item_id)
    if item is None or not item.is_active:
        raise InvalidMovementError(_("Only active items can be reserved."))
    with db.session.begin_nested():
        db.session.execute(
            insert_ignoring_conflict(
                Reservation.__table__,
                {
                    "holder": holder,
                    "location_id": location_id,
                    "item_id": item_id,
                    "quantity": 0,
                },
            )
        )
        # Lock order as in post(): the reservation row, then the item row.
        changed = db.session.execute(
            update(Reservation)
            .where(
                Reservation.holder == holder,
                Reservation.location_id == location_id,
                Reservation.item_id == item_id,
            )
            .values(quantity=Reservation.quantity + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise InvalidMovementError(
                _("%(holder)s already holds stock of another item or place.", holder=holder)
            )
        _ensure_item_row(location_id, item_id, guarded=True)
        changed = db.session.execute(
            update(ItemBalance)
            .where(
                ItemBalance.location_id == location_id,
                ItemBalance.item_id == item_id,
                ItemBalance.on_hand - ItemBalance.reserved >= quantity,
            )
            .values(reserved=ItemBalance.reserved + quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            _raise_unavailable(location_id, item_id, quantity)
    return _reservation(holder)


def release(
    *,
    actor: User | SystemActor | None,
    holder: str,
    quantity: int | None = None,
) -> Reservation:
    """Give back ``quantity`` (default: all) of what ``holder`` holds; refused beyond that."""
    begin_write()
    _actor_id(actor)
    reservation = _reservation(holder)
    if reservation is None:
        raise InvalidMovementError(_("%(holder)s holds no reservation.", holder=holder))
    if quantity is not None:
        _check_quantity(quantity, 1)
    with db.session.begin_nested():
        wanted = reservation.quantity if quantity is None else quantity
        changed = db.session.execute(
            update(Reservation)
            .where(Reservation.id == reservation.id, Reservation.quantity >= wanted)
            .values(quantity=Reservation.quantity - wanted)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise InvalidMovementError(
                _(
                    "%(holder)s holds less than %(n)d: nothing was released.",
                    holder=holder,
                    n=wanted,
                )
            )
        db.session.execute(
            update(ItemBalance)
            .where(
                ItemBalance.location_id == reservation.location_id,
                ItemBalance.item_id == reservation.item_id,
            )
            .values(reserved=ItemBalance.reserved - wanted)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(reservation)
    return reservation


def _reservation(holder: str) -> Reservation | None:
    reservation = db.session.scalar(select(Reservation).where(Reservation.holder == holder))
    if reservation is not None:
        db.session.refresh(reservation)
    return reservation


def _check_quantity(quantity: object, number: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidMovementError(_("Line %(n)d: the quantity must be a whole number.", n=number))
    if not 0 < quantity <= MAX_QUANTITY:
        raise InvalidMovementError(
            _(
                "Line %(n)d: the quantity must be between 1 and %(max)d.",
                n=number,
                max=MAX_QUANTITY,
            )
        )


def _by_id(model: type[Any], ids: set[int]) -> dict[Any, Any]:
    """The rows of ``model`` with these ids: those the session holds loaded, the rest selected.

    A SELECT would hand back the session's own objects anyway (their loaded values are kept),
    so objects already loaded cost no statement; expired ones are selected in the one query.
    """
    found: dict[Any, Any] = {}
    # Only expired columns count: a relationship expired by a flush (a place's supplier, say)
    # is loaded when used, and the checks here read columns.
    columns = inspect(model).column_attrs.keys()
    for key in ids:
        loaded = db.session.identity_map.get(identity_key(model, key))
        if loaded is not None and not inspect(loaded).expired_attributes.intersection(columns):
            found[key] = loaded
    missing = ids - found.keys()
    if missing:
        for row in db.session.scalars(select(model).where(model.id.in_(missing))):
            found[row.id] = row
    return found


def _validate(
    kind: TransactionKind,
    occurred_on: date,
    lines: Sequence[Line],
    *,
    receive_expired: bool,
    bound_for: Location | None = None,
) -> tuple[dict[int, Lot], dict[int, Location]]:
    """Check every line; return the lots and the locations by id."""
    item_ids = {line.item_id for line in lines}
    lot_ids = {line.lot_id for line in lines}
    location_ids = {line.from_location_id for line in lines} | {
        line.to_location_id for line in lines
    }
    items = _by_id(Item, item_ids)
    lots = _by_id(Lot, lot_ids)
    locations = _by_id(Location, location_ids)
    for number, line in enumerate(lines, start=1):
        item = items.get(line.item_id)
        lot = lots.get(line.lot_id)
        _check_quantity(line.quantity, number)
        if item is None:
            raise InvalidMovementError(_("Line %(n)d: the item is unknown.", n=number))
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
        expired = lot.expires_on is not None and lot.expires_on < occurred_on
        if receive_expired and kind is TransactionKind.RECEIPT:
            expired = False  # confirmed on the receipt: it arrived expired, to be written off
        if (not item.is_active or expired) and not _may_leave(
            kind, locations[line.from_location_id], locations[line.to_location_id], bound_for
        ):
            raise InvalidMovementError(
                _(
                    "Line %(n)d: %(code)s is inactive or its lot has expired: it may only go "
                    "to loss, to a count, back to a warehouse, or be reversed.",
                    n=number,
                    code=item.code,
                )
            )
        if line.reservation_id is not None and not locations[line.from_location_id].kind.is_guarded:
            raise InvalidMovementError(
                _("Line %(n)d: a reservation is fulfilled only from a place.", n=number)
            )
    fulfilling: dict[int, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        if line.reservation_id is None:
            continue
        where = (line.from_location_id, line.item_id)
        if fulfilling.setdefault(line.reservation_id, where) != where:
            raise InvalidMovementError(
                _("Line %(n)d: a reservation is for one item at one place.", n=number)
            )
    return lots, locations


def _may_leave(
    kind: TransactionKind, source: Location, target: Location, bound_for: Location | None = None
) -> bool:
    """Whether stock of an inactive item or an expired lot may make this move.

    ``bound_for``: the final destination of a dispatch to transit (a return when a warehouse).
    """
    if kind is TransactionKind.REVERSAL:
        return True
    if source.kind is LocationKind.SUPPLIER:  # never received
        return False
    if target.kind in _EXIT_KINDS:
        return True
    if source.kind is LocationKind.TRANSIT:  # already on its way: it may arrive
        return target.kind is not LocationKind.RECIPIENTS
    if target.kind is LocationKind.TRANSIT and kind is TransactionKind.DISPATCH:
        # Back to a warehouse by way of transit: a return of expired or unusable stock.
        return bound_for is not None and bound_for.kind is LocationKind.WAREHOUSE
    # A recall sends it back to a warehouse by way of transit.
    return target.kind is LocationKind.TRANSIT and kind is TransactionKind.RECALL


def _write(
    transaction_id: int,
    occurred_on: date,
    lines: Sequence[Line],
    lots: Mapping[int, Lot],
    locations: Mapping[int, Location],
) -> dict[tuple[int, int], int]:
    """Insert the movements, apply the balances, add to the summaries: in this order.

    Movements before balances: the guarded UPDATEs take the row locks other posts wait for, so
    they come last and the locks are held only until the caller commits; the summaries' locks
    after every balance row, in their own order. On PostgreSQL all three usually go in the
    chained balance statement. Returns (location, item) → on hand after the post, for the item
    rows whose figure came back (see ``_apply``).
    """
    movements = {
        "transaction_id": transaction_id,
        "occurred_on": occurred_on,
        "item_id": [line.item_id for line in lines],
        "lot_id": [line.lot_id for line in lines],
        "quantity": [line.quantity for line in lines],
        "from_location_id": [line.from_location_id for line in lines],
        "to_location_id": [line.to_location_id for line in lines],
        "reason_id": [line.reason_id for line in lines],
        "note": [line.note or "" for line in lines],
        "reverses_movement_id": [line.reverses_movement_id for line in lines],
    }
    changes = summaries.deltas(lines, lots)
    if db.session.get_bind().dialect.name == "postgresql":
        return _apply(lines, lots, locations, movements=movements, changes=changes)
    # Core, not the ORM's bulk insert: no objects come of it, and the ORM's path cost more CPU.
    db.session.connection().execute(
        insert(Movement.__table__),
        [
            {
                "transaction_id": transaction_id,
                "occurred_on": occurred_on,
                **{name: movements[name][number] for name in _MOVEMENT_LINE_COLUMNS},
            }
            for number in range(len(lines))
        ],
    )
    on_hand = _apply(lines, lots, locations)
    summaries.apply(changes)
    return on_hand


# The movement columns that differ from line to line (the rest come from the transaction).
_MOVEMENT_LINE_COLUMNS = (
    "item_id",
    "lot_id",
    "quantity",
    "from_location_id",
    "to_location_id",
    "reason_id",
    "note",
    "reverses_movement_id",
)


def _apply(
    lines: Sequence[Line],
    lots: Mapping[int, Lot],
    locations: Mapping[int, Location],
    *,
    movements: Mapping[str, Any] | None = None,
    changes: Mapping[tuple[int, int, int], int] | None = None,
) -> dict[tuple[int, int], int]:
    """Apply the lines to reservations, serial lots, item rows and lot rows, in lock order.

    PostgreSQL passes the ``movements`` to insert and the summary ``changes`` to add: they go
    in the chained statement (the movements first, the summaries after every balance row), or
    on their own when it cannot take them. Returns (location, item) → on hand after the post
    for the item rows whose statement returned it (the chain, or one row at a time; not a
    SQLite batch).
    """
    lot_deltas: dict[tuple[int, int, int], int] = defaultdict(int)
    item_deltas: dict[tuple[int, int], int] = defaultdict(int)
    fulfilled: dict[int, int] = defaultdict(int)
    fulfilled_at: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        lot_deltas[(line.from_location_id, line.item_id, line.lot_id)] -= line.quantity
        lot_deltas[(line.to_location_id, line.item_id, line.lot_id)] += line.quantity
        item_deltas[(line.from_location_id, line.item_id)] -= line.quantity
        item_deltas[(line.to_location_id, line.item_id)] += line.quantity
        if line.reservation_id is not None:
            fulfilled[line.reservation_id] += line.quantity
            fulfilled_at[(line.from_location_id, line.item_id)] += line.quantity
    guarded = {location_id: location.kind.is_guarded for location_id, location in locations.items()}
    chained = movements is not None  # PostgreSQL
    if movements is not None and (
        fulfilled or any(lots[lot_id].serial is not None for lot_id in lots)
    ):
        # Reservation and serial rows are locked before the chain: the movements go first, on
        # their own, as everywhere else.
        db.session.execute(_movements_insert(), _movement_params(movements))
        movements = None
    # One fixed order for every writer, so two posts never wait on each other in a cycle:
    # reservations by id, serial lots by id, then per (location, item) its lot rows and item row.
    for reservation_id in sorted(fulfilled):
        _fulfil(reservation_id, fulfilled[reservation_id], lines)
    for lot_id in sorted(lots):
        if lots[lot_id].serial is not None:
            _move_serial(lots[lot_id], lot_deltas, guarded)
    by_place: dict[tuple[int, int], list[int]] = defaultdict(list)
    for location_id, item_id, lot_id in lot_deltas:
        by_place[(location_id, item_id)].append(lot_id)
    steps: list[_Step] = []
    for location_id, item_id in sorted(by_place):
        # The lots first: a shortage of one lot is named with its lot; what is left to refuse
        # at the item row is what the reservations hold.
        for lot_id in sorted(by_place[(location_id, item_id)]):
            lot_delta = lot_deltas[(location_id, item_id, lot_id)]
            if lot_delta:
                steps.append(
                    _Step(location_id, item_id, lot_id, lot_delta, 0, guarded[location_id])
                )
        # The item row even when the post nets to zero here (a lot swap): the update then
        # changes nothing but still takes the row's lock in this order, and the stock-out
        # spans recomputed after it read the place's stock with no other post in between.
        delta = item_deltas[(location_id, item_id)]
        released = fulfilled_at.get((location_id, item_id), 0)
        steps.append(_Step(location_id, item_id, None, delta, released, guarded[location_id]))
    on_hand: dict[tuple[int, int], int] = {}
    summarised = False
    if chained:
        applied = _apply_chained(steps, movements, changes or {})
        done, summarised, on_hand = applied.done, applied.summarised, applied.on_hand
    else:
        done = _apply_batched(steps) if len(steps) >= _BATCH_MIN_STEPS else 0
    # What the chain or the batch did not apply (on PostgreSQL a refused or missing row and
    # what follows it; on SQLite a refused batch, or a small post) goes row by row, which
    # creates missing rows and names a shortage.
    for step in steps[done:]:
        if step.lot_id is None:
            on_hand[(step.location_id, step.item_id)] = _apply_item(
                step.location_id, step.item_id, step.delta, step.released, step.guarded
            )
        else:
            _apply_lot(step.location_id, step.item_id, step.lot_id, step.delta, step.guarded)
    if changes is not None and not summarised:
        summaries.apply(changes)
    return on_hand


@dataclass(frozen=True)
class _Step:
    """One balance row to change: a lot row, or (``lot_id`` None) the item row."""

    location_id: int
    item_id: int
    lot_id: int | None
    delta: int
    released: int
    guarded: bool


@dataclass
class _Chained:
    """What the chained statements applied: how many steps, the summaries, the items' on hand."""

    done: int = 0
    summarised: bool = False
    on_hand: dict[tuple[int, int], int] = field(default_factory=dict)


def _apply_chained(
    steps: Sequence[_Step],
    movements: Mapping[str, Any] | None,
    changes: Mapping[tuple[int, int, int], int],
) -> _Chained:
    """Apply the steps in one PostgreSQL statement, in their order; what was applied.

    Each step is a data-modifying CTE with the same guard as the row-by-row path, and runs only
    when the one before it changed its row (``EXISTS`` on it): the CTEs therefore run, and lock
    their rows, in the steps' order, and stop at the first refused or missing row. A step that
    cannot go below zero (stock arriving, or a place without a guard) is an upsert, so a first
    arrival creates its row in the same statement. One round trip instead of one per row.

    The first statement also inserts the ``movements`` (when given) before its first step, and
    the last one adds the summary ``changes`` after its last step (only if every step ran);
    each item row's step returns its on hand.
    """
    chained = _Chained()
    chunks = [
        steps[start : start + _CHAIN_MAX_STEPS] for start in range(0, len(steps), _CHAIN_MAX_STEPS)
    ]
    for number, chunk in enumerate(chunks):
        last = number == len(chunks) - 1
        applied = _apply_chain(
            chunk,
            movements if number == 0 else None,
            changes if last and changes else None,
            chained,
        )
        chained.done += applied
        if applied < len(chunk):
            break  # a refused or missing row: it and what follows go row by row
    return chained


# Steps per chained statement: one statement of 8 000 CTEs (a count of 2 000 lines) took
# minutes to build and compile; chunks keep the order, so the row locks are taken in the
# same order, and their few shapes are built once each.
_CHAIN_MAX_STEPS = 64


def _apply_chain(
    steps: Sequence[_Step],
    movements: Mapping[str, Any] | None,
    changes: Mapping[tuple[int, int, int], int] | None,
    chained: _Chained,
) -> int:
    """One chained statement for at most _CHAIN_MAX_STEPS steps; how many it applied.

    Notes on ``chained`` the on hand its item rows returned, and whether it added ``changes``.
    """
    shape = tuple(_step_shape(step) for step in steps)
    params: dict[str, Any] = {}
    for number, step in enumerate(steps):
        params.update(
            {
                f"l{number}": step.location_id,
                f"i{number}": step.item_id,
                f"lot{number}": step.lot_id,
                f"d{number}": step.delta,
                f"r{number}": step.released,
                f"g{number}": step.guarded,
            }
        )
    if movements is not None:
        params.update(_movement_params(movements))
    if changes is not None:
        params.update(summaries.chained_params(changes))
    statement = _chained_statement(shape, movements is not None, changes is not None)
    row = list(db.session.execute(statement, params).one())
    if movements is not None:
        row.pop(0)  # the movements inserted: all of them, or the statement failed
    if changes is not None:
        chained.summarised = bool(row.pop())
    applied = 0
    for step, value in zip(steps, row, strict=True):
        if not value and (step.lot_id is not None or value is None):
            break  # a lot step's count 0, or an item step's NULL: refused or missing
        if step.lot_id is None:
            chained.on_hand[(step.location_id, step.item_id)] = value
        applied += 1
    return applied


# From this many balance rows on, SQLite applies them in batches: below it, row by row costs
# fewer statements (no savepoint, and existing rows need no INSERT).
_BATCH_MIN_STEPS = 16


class _BatchRefused(Exception):
    """A guarded UPDATE of the batch changed no row: undo the batch and go row by row."""


def _apply_batched(steps: Sequence[_Step]) -> int:
    """Apply the steps on SQLite in four executemany statements; how many were applied (all/0).

    The missing rows are created first (INSERT … ON CONFLICT DO NOTHING, lots then items),
    then every lot row and every item row gets the same guarded UPDATE as the row-by-row path,
    run once per step by SQLite's prepared-statement loop. Each balance row appears in one step
    only, so a guard sees the row as the row-by-row path would, and the order cannot matter to
    the outcome; SQLite's write lock covers the whole database (BEGIN IMMEDIATE), so it cannot
    matter to locking either. When fewer rows changed than steps were sent, a guard refused:
    the batch's savepoint is rolled back and the row-by-row path names the shortage. One
    statement per row took 12-15 s for a count of 2 000 lines (8 000 rows).
    """
    lot_steps = [step for step in steps if step.lot_id is not None]
    item_steps = [step for step in steps if step.lot_id is None]
    lot_insert, item_insert, lot_update, item_update = _batch_statements()
    try:
        with db.session.begin_nested():
            connection = db.session.connection()
            for insert_rows, update_rows, batch in (
                (lot_insert, lot_update, lot_steps),
                (item_insert, item_update, item_steps),
            ):
                if not batch:
                    continue
                params = [
                    {
                        "l": step.location_id,
                        "i": step.item_id,
                        "lot": step.lot_id,
                        "d": step.delta,
                        "r": step.released,
                        "g": step.guarded,
                    }
                    for step in batch
                ]
                connection.execute(insert_rows, params)
                if connection.execute(update_rows, params).rowcount != len(batch):
                    raise _BatchRefused
    except _BatchRefused:
        return 0
    return len(steps)


@lru_cache(maxsize=1)
def _batch_statements() -> tuple[Any, Any, Any, Any]:
    """The four statements of a SQLite batch, with bound parameters, built once."""
    location, item, lot, delta, released, guarded = (
        bindparam("l", type_=Integer),
        bindparam("i", type_=Integer),
        bindparam("lot", type_=Integer),
        bindparam("d", type_=Integer),
        bindparam("r", type_=Integer),
        bindparam("g", type_=Boolean),
    )
    lot_insert = (
        sqlite_insert(Balance.__table__)
        .values(location_id=location, item_id=item, lot_id=lot, quantity=0, is_guarded=guarded)
        .on_conflict_do_nothing()
    )
    item_insert = (
        sqlite_insert(ItemBalance.__table__)
        .values(location_id=location, item_id=item, on_hand=0, reserved=0, is_guarded=guarded)
        .on_conflict_do_nothing()
    )
    return (
        lot_insert,
        item_insert,
        _lot_update(location, item, lot, delta),
        _item_update(location, item, delta, released),
    )


def _step_shape(step: _Step) -> str:
    upsert = step.released == 0 and (step.delta >= 0 or not step.guarded)
    return ("item" if step.lot_id is None else "lot") + ("-upsert" if upsert else "-update")


@lru_cache(maxsize=256)
def _chained_statement(shape: tuple[str, ...], with_movements: bool, with_summaries: bool) -> Any:
    """The chained statement for these step shapes, with bound parameters, built once each.

    Building and cache-keying a fresh statement tree on every post cost more app CPU than the
    round trips it saves. Its one row: the movements inserted (``with_movements``), then per
    step the rows it changed (a lot row: 1 or 0) or the item row's on hand after it (NULL when
    refused or missing), then the summary rows changed (``with_summaries``).
    """
    columns: list[Any] = []
    gate: list[Any] = []
    if with_movements:
        moves = _movements_insert().returning(Movement.__table__.c.id).cte("moves")
        inserted = select(func.count()).select_from(moves).scalar_subquery()
        columns.append(inserted)
        # Counting them runs the whole INSERT before the first step: the movements' unique
        # index (a line reversed once) is waited on before any balance row is locked.
        gate = [inserted > 0]
    previous = None
    for number, kind in enumerate(shape):
        location, item, lot, delta, released, guarded = (
            bindparam(f"l{number}", type_=Integer),
            bindparam(f"i{number}", type_=Integer),
            bindparam(f"lot{number}", type_=Integer),
            bindparam(f"d{number}", type_=Integer),
            bindparam(f"r{number}", type_=Integer),
            bindparam(f"g{number}", type_=Boolean),
        )
        if previous is not None:
            gate = [exists(select(previous.c.changed))]
        statement: Any
        if kind == "item-upsert":
            statement = _item_upsert(location, item, delta, guarded, gate)
        elif kind == "item-update":
            statement = _item_update(location, item, delta, released).where(*gate)
        elif kind == "lot-upsert":
            statement = _lot_upsert(location, item, lot, delta, guarded, gate)
        else:
            statement = _lot_update(location, item, lot, delta).where(*gate)
        if kind.startswith("item"):
            previous = statement.returning(ItemBalance.__table__.c.on_hand.label("changed")).cte(
                f"step_{number}"
            )
            columns.append(select(previous.c.changed).scalar_subquery())
        else:
            previous = statement.returning(literal(1).label("changed")).cte(f"step_{number}")
            columns.append(select(func.count()).select_from(previous).scalar_subquery())
    if with_summaries:
        # After the last step, and only when it ran: every balance row was changed before.
        added = (
            summaries.chained_upsert([exists(select(previous.c.changed))])
            .returning(literal(1).label("added"))
            .cte("summaries")
        )
        columns.append(select(func.count()).select_from(added).scalar_subquery())
    return select(*columns)


def _movement_params(movements: Mapping[str, Any]) -> dict[str, Any]:
    """The bound parameters of ``_movements_insert`` for ``_write``'s movements."""
    return {f"m_{name}": value for name, value in movements.items()}


@lru_cache(maxsize=1)
def _movements_insert() -> Any:
    """INSERT INTO movements … SELECT FROM unnest(one array per column): one row per line.

    The transaction's id and date are bound once (``m_transaction_id``, ``m_occurred_on``), each
    line column as an array (``m_item_id``…), so one statement serves any number of lines;
    unnest keeps the lines' order, and the movements' ids follow it.
    """
    table = Movement.__table__
    arrays = (
        func.unnest(
            *(
                bindparam(f"m_{name}", type_=ARRAY(table.c[name].type))
                for name in _MOVEMENT_LINE_COLUMNS
            )
        )
        .table_valued(*_MOVEMENT_LINE_COLUMNS)
        .render_derived()
    )
    return pg_insert(table).from_select(
        ["transaction_id", "occurred_on", *_MOVEMENT_LINE_COLUMNS],
        select(
            bindparam("m_transaction_id", type_=Integer),
            bindparam("m_occurred_on", type_=Date),
            *(arrays.c[name] for name in _MOVEMENT_LINE_COLUMNS),
        ),
    )


def _lot_upsert(
    location: Any, item: Any, lot: Any, delta: Any, guarded: Any, gate: list[Any]
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of a lot row, guarded as ``_lot_update`` is."""
    table = Balance.__table__
    values = select(location, item, lot, delta, guarded).where(*gate)
    statement = pg_insert(table).from_select(
        ["location_id", "item_id", "lot_id", "quantity", "is_guarded"], values
    )
    return statement.on_conflict_do_update(
        index_elements=["location_id", "item_id", "lot_id"],
        set_={"quantity": table.c.quantity + statement.excluded.quantity},
        where=or_(~table.c.is_guarded, table.c.quantity + statement.excluded.quantity >= 0),
    )


def _item_upsert(location: Any, item: Any, delta: Any, guarded: Any, gate: list[Any]) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of an item row (nothing released), guarded."""
    table = ItemBalance.__table__
    values = select(location, item, delta, literal(0), guarded).where(*gate)
    statement = pg_insert(table).from_select(
        ["location_id", "item_id", "on_hand", "reserved", "is_guarded"], values
    )
    return statement.on_conflict_do_update(
        index_elements=["location_id", "item_id"],
        set_={"on_hand": table.c.on_hand + statement.excluded.on_hand},
        where=or_(
            ~table.c.is_guarded,
            table.c.on_hand + statement.excluded.on_hand - table.c.reserved >= 0,
        ),
    )


def _fulfil(reservation_id: int, quantity: int, lines: Sequence[Line]) -> None:
    line = next(line for line in lines if line.reservation_id == reservation_id)
    changed = db.session.execute(
        update(Reservation)
        .where(
            Reservation.id == reservation_id,
            Reservation.location_id == line.from_location_id,
            Reservation.item_id == line.item_id,
            Reservation.quantity >= quantity,
        )
        .values(quantity=Reservation.quantity - quantity)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        held = db.session.scalar(select(Reservation).where(Reservation.id == reservation_id))
        raise InsufficientStockError(
            _(
                "The reservation %(holder)s holds %(held)d of this item here, "
                "not the %(wanted)d sent against it.",
                holder=held.holder if held else reservation_id,
                held=held.quantity
                if held
                and (held.location_id, held.item_id) == (line.from_location_id, line.item_id)
                else 0,
                wanted=quantity,
            )
        )


def _move_serial(
    lot: Lot, lot_deltas: Mapping[tuple[int, int, int], int], guarded: Mapping[int, bool]
) -> None:
    """Move a serial lot's one place with a guarded UPDATE, so it is never in two places."""
    nets = {
        location_id: delta
        for (location_id, _item, lot_id), delta in lot_deltas.items()
        if lot_id == lot.id and guarded[location_id] and delta
    }
    sources = [location_id for location_id, delta in nets.items() if delta == -1]
    targets = [location_id for location_id, delta in nets.items() if delta == 1]
    if len(sources) + len(targets) != len(nets) or len(sources) > 1 or len(targets) > 1:
        raise InvalidMovementError(
            _("Serial number %(serial)s would be in two places at once.", serial=lot.serial)
        )
    if not nets:
        return  # it stays where it was (outside, or back at its place within this post)
    source = sources[0] if sources else None
    target = targets[0] if targets else None
    where = Lot.at_location_id.is_(None) if source is None else Lot.at_location_id == source
    changed = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, where)
        .values(at_location_id=target)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        if source is None:
            raise InsufficientStockError(
                _(
                    "Serial number %(serial)s is already in stock at another place: "
                    "a serial number is in one place only.",
                    serial=lot.serial,
                )
            )
        _raise_insufficient(source, lot.item_id, lot.id, 1)


def _ensure_item_row(location_id: int, item_id: int, *, guarded: bool) -> None:
    db.session.execute(
        insert_ignoring_conflict(
            ItemBalance.__table__,
            {
                "location_id": location_id,
                "item_id": item_id,
                "on_hand": 0,
                "reserved": 0,
                "is_guarded": guarded,
            },
        )
    )


def _apply_item(location_id: int, item_id: int, delta: int, released: int, guarded: bool) -> int:
    """On hand changes by ``delta``; ``released`` of it was reserved (lowered in one statement).

    Returns the row's on hand after the change (the stock-out spans need it: no read then).
    """
    statement = _row_updates().item
    params = {"l": location_id, "i": item_id, "d": delta, "r": released}
    connection = db.session.connection()
    # The row usually exists: one statement; a first arrival creates it and tries again.
    on_hand = connection.execute(statement, params).scalar_one_or_none()
    if on_hand is not None:
        return on_hand
    _ensure_item_row(location_id, item_id, guarded=guarded)
    on_hand = connection.execute(statement, params).scalar_one_or_none()
    if on_hand is None:
        _raise_unavailable(location_id, item_id, -delta - released)
    return on_hand


def _item_update(location_id: Any, item_id: Any, delta: Any, released: Any) -> Any:
    """The guarded UPDATE of an item row: on hand by ``delta``, ``released`` less reserved."""
    # The guard is in the WHERE clause: the database re-checks it against the committed row
    # after any lock wait, so two concurrent takers can never both pass (no read-check-write).
    return (
        update(ItemBalance)
        .where(
            ItemBalance.location_id == location_id,
            ItemBalance.item_id == item_id,
            ItemBalance.reserved - released >= 0,
            or_(
                ~ItemBalance.is_guarded,
                ItemBalance.on_hand + delta - (ItemBalance.reserved - released) >= 0,
            ),
        )
        .values(on_hand=ItemBalance.on_hand + delta, reserved=ItemBalance.reserved - released)
        .execution_options(synchronize_session=False)
    )


def _lot_update(location_id: Any, item_id: Any, lot_id: Any, delta: Any) -> Any:
    """The guarded UPDATE of a lot row: never below zero at a guarded place."""
    return (
        update(Balance)
        .where(
            Balance.location_id == location_id,
            Balance.item_id == item_id,
            Balance.lot_id == lot_id,
            or_(~Balance.is_guarded, Balance.quantity + delta >= 0),
        )
        .values(quantity=Balance.quantity + delta)
        .execution_options(synchronize_session=False)
    )


def _apply_lot(location_id: int, item_id: int, lot_id: int, delta: int, guarded: bool) -> None:
    statement = _row_updates().lot
    params = {"l": location_id, "i": item_id, "lot": lot_id, "d": delta}
    connection = db.session.connection()
    if connection.execute(statement, params).rowcount == 1:
        return
    db.session.execute(
        insert_ignoring_conflict(
            Balance.__table__,
            {
                "location_id": location_id,
                "item_id": item_id,
                "lot_id": lot_id,
                "quantity": 0,
                "is_guarded": guarded,
            },
        )
    )
    if connection.execute(statement, params).rowcount != 1:
        _raise_insufficient(location_id, item_id, lot_id, -delta)


class _RowUpdates(NamedTuple):
    lot: Any
    item: Any


@lru_cache(maxsize=1)
def _row_updates() -> _RowUpdates:
    """The guarded UPDATEs of one lot row and of one item row (returning its on hand), built once.

    The row-by-row path runs them for every post on SQLite: building and cache-keying a fresh
    statement tree per row cost more CPU than executing it.
    """
    location, item, lot, delta, released = (
        bindparam("l", type_=Integer),
        bindparam("i", type_=Integer),
        bindparam("lot", type_=Integer),
        bindparam("d", type_=Integer),
        bindparam("r", type_=Integer),
    )
    return _RowUpdates(
        _lot_update(location, item, lot, delta),
        _item_update(location, item, delta, released).returning(ItemBalance.on_hand),
    )


def _raise_unavailable(location_id: int, item_id: int, wanted: int) -> None:
    item = db.session.get(Item, item_id)
    location = db.session.get(Location, location_id)
    row = db.session.execute(
        select(ItemBalance.on_hand, ItemBalance.reserved).where(
            ItemBalance.location_id == location_id, ItemBalance.item_id == item_id
        )
    ).one_or_none()
    on_hand, reserved = (row.on_hand, row.reserved) if row else (0, 0)
    names = {
        "item": item.code if item else item_id,
        # Names in the reader's language: a Korean sentence names the place in Korean.
        "location": location.display_name(current_locale()) if location else location_id,
        "wanted": wanted,
    }
    if reserved == 0:
        raise InsufficientStockError(
            _(
                "Not enough stock of %(item)s at %(location)s: %(wanted)d wanted, "
                "%(on_hand)d on hand.",
                on_hand=on_hand,
                **names,
            )
        )
    raise InsufficientStockError(
        _(
            "Not enough stock of %(item)s at %(location)s: %(wanted)d wanted, "
            "%(available)d available (%(reserved)d reserved).",
            available=on_hand - reserved,
            reserved=reserved,
            **names,
        )
    )


def _lot_words(lot: Lot) -> str:
    """How a message names a lot: its serial or code, or that it has none (never a dash)."""
    if lot.serial or lot.code:
        return _("lot %(lot)s", lot=lot.serial or lot.code)
    return _("no lot code")


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
            "Not enough stock of %(item)s (%(lot)s) at %(location)s: "
            "%(wanted)d wanted, %(on_hand)d on hand.",
            item=item.code if item else item_id,
            lot=_lot_words(lot) if lot else lot_id,
            location=location.display_name(current_locale()) if location else location_id,
            wanted=wanted,
            on_hand=on_hand or 0,
        )
    )


__all__ = [
    "MAX_QUANTITY",
    "SYSTEM",
    "Line",
    "Posted",
    "find_by_operation_key",
    "fingerprint_of",
    "once",
    "post",
    "release",
    "replayed",
    "reserve",
]
