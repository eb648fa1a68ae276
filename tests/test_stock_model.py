"""A Hypothesis state machine drives receipts, adjustments, multi-line transfers between three
places, serial numbers, reservations and their fulfilment, replays and reversals against a plain
model: after every step the lot and item balances match it, each item sums to zero, nothing
guarded is negative or over-reserved, and check-ledger finds nothing."""

from collections import defaultdict
from datetime import timedelta

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import ledger
from hilogistics.stock.audit import ledger_differences
from hilogistics.stock.errors import (
    InsufficientStockError,
    InvalidMovementError,
    ReplayConflictError,
)
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    ItemBalance,
    Lot,
    Reservation,
    TransactionKind,
)
from hilogistics.stock.services import (
    ReceiptLine,
    adjust_stock,
    find_or_create_lot,
    record_receipt,
    reverse_transaction,
)
from tests.factories import make_item, make_location, make_warehouse, operation_key, virtual

ITEMS = 2
LOTS = ("A", "B")
PLACES = 3
SERIALS = 3
HOLDERS = ("H-1", "H-2", "H-3")

Change = tuple[int, int, int, int]  # place id, item id, lot id, signed quantity


def run_machine(app: Flask) -> None:
    """Build the machine class around this app's data and let Hypothesis run it."""

    class StockMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.items = [make_item() for _ in range(ITEMS)]
            self.places = [make_warehouse(), make_location(), make_location()]
            self.lots = {
                (item.id, code): find_or_create_lot(item=item, code=code)
                for item in self.items
                for code in LOTS
            }
            self.knee = make_item(tracks_serial=True)
            self.serials = [
                find_or_create_lot(item=self.knee, serial=f"SN-{n}") for n in range(SERIALS)
            ]
            reasons = db.session.scalars(select(AdjustmentReason)).all()
            self.reasons = {r.code: r.id for r in reasons}
            self.count, self.loss = virtual("COUNT"), virtual("LOSS")
            db.session.commit()
            self.expected: dict[tuple[int, int, int], int] = defaultdict(int)
            self.reserved: dict[tuple[int, int], int] = defaultdict(int)
            self.holders: dict[str, tuple[int, int, int]] = {}  # place, item, quantity
            self.serial_at: dict[int, int | None] = {lot.id: None for lot in self.serials}
            # Reversible transactions (plain items only) and the changes they made.
            self.posted: list[tuple[int, list[Change]]] = []
            self.reversed: set[int] = set()
            # The last post sent directly, for replays: its key and its lines.
            self.last: tuple[str, list[ledger.Line], int] | None = None

        # -- model helpers ----------------------------------------------------------------

        def _lot(self, item_index: int, lot_code: str):
            item = self.items[item_index]
            return item, self.lots[(item.id, lot_code)]

        def _on_hand(self, place_id: int, item_id: int) -> int:
            return sum(
                quantity
                for (p, i, _lot), quantity in self.expected.items()
                if p == place_id and i == item_id
            )

        def _allowed(self, changes: list[Change]) -> bool:
            """Whether the guarded lot and item rows all stay at or above zero."""
            lot_net: dict[tuple[int, int, int], int] = defaultdict(int)
            item_net: dict[tuple[int, int], int] = defaultdict(int)
            for place_id, item_id, lot_id, delta in changes:
                if place_id not in self.place_ids:
                    continue
                lot_net[(place_id, item_id, lot_id)] += delta
                item_net[(place_id, item_id)] += delta
            return all(self.expected[key] + delta >= 0 for key, delta in lot_net.items()) and all(
                self._on_hand(p, i) + delta - self.reserved[(p, i)] >= 0
                for (p, i), delta in item_net.items()
            )

        def _apply(self, changes: list[Change]) -> None:
            for place_id, item_id, lot_id, delta in changes:
                if place_id in self.place_ids:
                    self.expected[(place_id, item_id, lot_id)] += delta

        @property
        def place_ids(self) -> set[int]:
            return {place.id for place in self.places}

        def _post(self, lines: list[ledger.Line], key: str | None = None) -> ledger.Posted:
            return ledger.post(
                kind=TransactionKind.OPENING,
                lines=lines,
                actor=SYSTEM,
                occurred_on=business_today(),
                operation_key=key or operation_key(),
            )

        # -- plain items ------------------------------------------------------------------

        @rule(
            item_index=st.integers(0, ITEMS - 1),
            lot_code=st.sampled_from(LOTS),
            quantity=st.integers(1, 50),
            days_ago=st.integers(0, 60),
        )
        def receive(self, item_index: int, lot_code: str, quantity: int, days_ago: int) -> None:
            item, lot = self._lot(item_index, lot_code)
            warehouse = self.places[0]
            transaction = record_receipt(
                actor=SYSTEM,
                warehouse_id=warehouse.id,
                occurred_on=business_today() - timedelta(days=days_ago),
                lines=[ReceiptLine(item_id=item.id, quantity=quantity, lot_code=lot_code)],
                operation_key=operation_key(),
            )
            db.session.commit()
            changes = [(warehouse.id, item.id, lot.id, quantity)]
            self._apply(changes)
            self.posted.append((transaction.id, changes))

        @rule(
            item_index=st.integers(0, ITEMS - 1),
            lot_code=st.sampled_from(LOTS),
            place_index=st.integers(0, PLACES - 1),
            quantity=st.integers(1, 60),
            direction=st.sampled_from([AdjustmentDirection.OUT, AdjustmentDirection.IN]),
        )
        def adjust(self, item_index, lot_code, place_index, quantity, direction) -> None:
            item, lot = self._lot(item_index, lot_code)
            place = self.places[place_index]
            reason = "damaged" if direction is AdjustmentDirection.OUT else "found"
            sign = -1 if direction is AdjustmentDirection.OUT else 1
            changes = [(place.id, item.id, lot.id, sign * quantity)]
            allowed = self._allowed(changes)
            try:
                transaction = adjust_stock(
                    actor=SYSTEM,
                    location_id=place.id,
                    item_id=item.id,
                    lot_id=lot.id,
                    quantity=quantity,
                    direction=direction,
                    reason_id=self.reasons[reason],
                    occurred_on=business_today(),
                    operation_key=operation_key(),
                    note="model step",
                )
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert not allowed
                return
            assert allowed
            self._apply(changes)
            self.posted.append((transaction.id, changes))

        @rule(
            moves=st.lists(
                st.tuples(
                    st.integers(0, ITEMS - 1),
                    st.sampled_from(LOTS),
                    st.integers(1, 30),
                    st.integers(0, PLACES - 1),
                    st.integers(1, PLACES - 1),
                ),
                min_size=1,
                max_size=3,
            ),
            same_balance=st.booleans(),
        )
        def transfer(self, moves, same_balance: bool) -> None:
            """Several lines at once; optionally the first line twice (two takes of one lot)."""
            if same_balance:
                moves = [moves[0], *moves]
            lines, changes = [], []
            for item_index, lot_code, quantity, source_index, step in moves:
                item, lot = self._lot(item_index, lot_code)
                source = self.places[source_index]
                target = self.places[(source_index + step) % PLACES]
                lines.append(ledger.Line(item.id, lot.id, quantity, source.id, target.id))
                changes += [
                    (source.id, item.id, lot.id, -quantity),
                    (target.id, item.id, lot.id, quantity),
                ]
            allowed = self._allowed(changes)
            key = operation_key()
            try:
                posted = self._post(lines, key)
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert not allowed
                return
            assert allowed
            self._apply(changes)
            self.posted.append((posted.transaction.id, changes))
            self.last = (key, lines, posted.transaction.id)

        @precondition(lambda self: self.last is not None)
        @rule(same=st.booleans())
        def replay(self, same: bool) -> None:
            """The last transfer's key again: same lines find it, other lines are refused."""
            key, lines, transaction_id = self.last
            if same:
                posted = self._post(list(reversed(lines)), key)  # line order does not matter
                db.session.commit()
                assert not posted.created and posted.transaction.id == transaction_id
                return
            first = lines[0]
            changed = [
                ledger.Line(
                    first.item_id,
                    first.lot_id,
                    first.quantity + 1,
                    first.from_location_id,
                    first.to_location_id,
                ),
                *lines[1:],
            ]
            try:
                self._post(changed, key)
            except ReplayConflictError:
                db.session.rollback()
                return
            raise AssertionError("a replay with other content was accepted")

        @precondition(lambda self: len(self.posted) > len(self.reversed))
        @rule(data=st.data())
        def reverse(self, data) -> None:
            candidates = [p for p in self.posted if p[0] not in self.reversed]
            transaction_id, changes = data.draw(st.sampled_from(candidates))
            back = [(p, i, lot, -delta) for p, i, lot, delta in changes]
            allowed = self._allowed(back)
            try:
                reverse_transaction(
                    actor=SYSTEM,
                    transaction_id=transaction_id,
                    note="model",
                    operation_key=operation_key(),
                )
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert not allowed
                return
            assert allowed
            self.reversed.add(transaction_id)
            self._apply(back)

        # -- reservations -----------------------------------------------------------------

        @rule(
            holder=st.sampled_from(HOLDERS),
            place_index=st.integers(0, PLACES - 1),
            item_index=st.integers(0, ITEMS - 1),
            quantity=st.integers(1, 40),
        )
        def reserve(self, holder: str, place_index: int, item_index: int, quantity: int) -> None:
            # Holders are unique in the database, which outlives each example: name them per run.
            holder = f"{self.places[0].id}/{holder}"
            place, item = self.places[place_index], self.items[item_index]
            key = (place.id, item.id)
            held = self.holders.get(holder)
            fits = held is None or held[:2] == key
            available = self._on_hand(*key) - self.reserved[key]
            try:
                ledger.reserve(
                    actor=SYSTEM,
                    holder=holder,
                    location_id=place.id,
                    item_id=item.id,
                    quantity=quantity,
                )
                db.session.commit()
            except (InsufficientStockError, InvalidMovementError) as error:
                db.session.rollback()
                assert not fits or available < quantity, error
                return
            assert fits and available >= quantity
            self.reserved[key] += quantity
            self.holders[holder] = (*key, (held[2] if held else 0) + quantity)

        @precondition(lambda self: any(held[2] for held in self.holders.values()))
        @rule(data=st.data(), everything=st.booleans())
        def release(self, data, everything: bool) -> None:
            holder = data.draw(st.sampled_from(sorted(h for h, v in self.holders.items() if v[2])))
            place_id, item_id, held = self.holders[holder]
            quantity = held if everything else data.draw(st.integers(1, held + 2))
            try:
                ledger.release(actor=SYSTEM, holder=holder, quantity=quantity)
                db.session.commit()
            except InvalidMovementError:
                db.session.rollback()
                assert quantity > held
                return
            assert quantity <= held
            self.reserved[(place_id, item_id)] -= quantity
            self.holders[holder] = (place_id, item_id, held - quantity)

        @precondition(lambda self: any(held[2] for held in self.holders.values()))
        @rule(data=st.data(), lot_code=st.sampled_from(LOTS), step=st.integers(1, PLACES - 1))
        def fulfil(self, data, lot_code: str, step: int) -> None:
            """Send reserved units on to another place, lowering the reservation."""
            holder = data.draw(st.sampled_from(sorted(h for h, v in self.holders.items() if v[2])))
            place_id, item_id, held = self.holders[holder]
            quantity = data.draw(st.integers(1, held))
            lot = self.lots[(item_id, lot_code)]
            source_index = next(n for n, p in enumerate(self.places) if p.id == place_id)
            target = self.places[(source_index + step) % PLACES]
            reservation_id = db.session.scalar(
                select(Reservation.id).where(Reservation.holder == holder)
            )
            allowed = self.expected[(place_id, item_id, lot.id)] >= quantity
            line = ledger.Line(
                item_id, lot.id, quantity, place_id, target.id, reservation_id=reservation_id
            )
            try:
                self._post([line])
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert not allowed
                return
            assert allowed
            self._apply(
                [(place_id, item_id, lot.id, -quantity), (target.id, item_id, lot.id, quantity)]
            )
            self.reserved[(place_id, item_id)] -= quantity
            self.holders[holder] = (place_id, item_id, held - quantity)

        # -- serial numbers ---------------------------------------------------------------

        @rule(
            serial=st.integers(0, SERIALS - 1),
            place_index=st.integers(-1, PLACES - 1),
            honest=st.booleans(),
        )
        def move_serial(self, serial: int, place_index: int, honest: bool) -> None:
            """Move a serial unit from where it is to a place, or out (-1); or, dishonestly,
            claim it was "found" at a place while it is in stock somewhere already."""
            lot = self.serials[serial]
            now = self.serial_at[lot.id]
            target = self.places[place_index].id if place_index >= 0 else None
            source = now if now is not None else self.count.id
            destination = target if target is not None else self.loss.id
            if source == destination:
                return
            dishonest = not honest and target is not None and now is not None
            claimed = self.count.id if dishonest else source
            line = ledger.Line(self.knee.id, lot.id, 1, claimed, destination)
            allowed = claimed == source
            try:
                self._post([line])
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert not allowed
                return
            assert allowed
            if now is not None:
                self.expected[(now, self.knee.id, lot.id)] -= 1
            if target is not None:
                self.expected[(target, self.knee.id, lot.id)] += 1
            self.serial_at[lot.id] = target

        # -- invariants -------------------------------------------------------------------

        @invariant()
        def balances_match_the_model(self) -> None:
            db.session.expire_all()
            item_ids = [item.id for item in self.items] + [self.knee.id]
            place_ids = list(self.place_ids)
            rows = db.session.execute(
                select(
                    Balance.location_id, Balance.item_id, Balance.lot_id, Balance.quantity
                ).where(Balance.item_id.in_(item_ids), Balance.location_id.in_(place_ids))
            ).all()
            actual = {(r.location_id, r.item_id, r.lot_id): r.quantity for r in rows}
            for key, quantity in self.expected.items():
                assert actual.get(key, 0) == quantity, (key, actual.get(key), quantity)
            assert all(quantity >= 0 for quantity in actual.values())
            items = db.session.execute(
                select(
                    ItemBalance.location_id,
                    ItemBalance.item_id,
                    ItemBalance.on_hand,
                    ItemBalance.reserved,
                ).where(ItemBalance.location_id.in_(place_ids))
            ).all()
            for row in items:
                key = (row.location_id, row.item_id)
                assert row.on_hand == self._on_hand(*key), (key, row.on_hand)
                assert row.reserved == self.reserved[key], (key, row.reserved)
                assert row.on_hand - row.reserved >= 0
            serials = dict(
                db.session.execute(
                    select(Lot.id, Lot.at_location_id).where(Lot.item_id == self.knee.id)
                ).all()
            )
            assert serials == self.serial_at

        @invariant()
        def every_item_sums_to_zero_and_the_audit_is_clean(self) -> None:
            totals = db.session.execute(
                select(Balance.item_id, func.sum(Balance.quantity)).group_by(Balance.item_id)
            ).all()
            assert all(total == 0 for _item, total in totals)
            assert [d.describe() for d in ledger_differences()] == []

    StockMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    StockMachine.TestCase().runTest()


def test_the_ledger_agrees_with_a_model_of_places_lots_serials_and_reservations(
    app: Flask,
) -> None:
    run_machine(app)
