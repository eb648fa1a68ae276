"""A Hypothesis state machine drives receipts, adjustments, transfers and reversals against a
plain model: after every step the balances match it, each item sums to zero, none is negative."""

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
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason, Balance, TransactionKind
from hilogistics.stock.services import (
    ReceiptLine,
    adjust_stock,
    find_or_create_lot,
    record_receipt,
    reverse_transaction,
)
from tests.factories import make_item, make_location, make_warehouse, operation_key

ITEMS = 2
LOTS = ("A", "B")


def run_machine(app: Flask) -> None:
    """Build the machine class around this app's data and let Hypothesis run it."""

    class StockMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.items = [make_item() for _ in range(ITEMS)]
            self.places = [make_warehouse(), make_location()]
            self.lots = {
                (item.id, code): find_or_create_lot(item=item, code=code)
                for item in self.items
                for code in LOTS
            }
            reasons = db.session.scalars(select(AdjustmentReason)).all()
            self.reasons = {r.code: r.id for r in reasons}
            db.session.commit()
            self.expected: dict[tuple[int, int, int], int] = defaultdict(int)
            self.posted: list[tuple[int, list[tuple[int, int, int, int]]]] = []
            self.reversed: set[int] = set()

        def _lot(self, item_index: int, lot_code: str):
            item = self.items[item_index]
            return item, self.lots[(item.id, lot_code)]

        def _record(self, transaction, changes: list[tuple[int, int, int, int]]) -> None:
            for place_id, item_id, lot_id, delta in changes:
                self.expected[(place_id, item_id, lot_id)] += delta
            self.posted.append((transaction.id, changes))

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
            self._record(transaction, [(warehouse.id, item.id, lot.id, quantity)])

        @rule(
            item_index=st.integers(0, ITEMS - 1),
            lot_code=st.sampled_from(LOTS),
            place_index=st.integers(0, 1),
            quantity=st.integers(1, 60),
            direction=st.sampled_from([AdjustmentDirection.OUT, AdjustmentDirection.IN]),
        )
        def adjust(self, item_index, lot_code, place_index, quantity, direction) -> None:
            item, lot = self._lot(item_index, lot_code)
            place = self.places[place_index]
            reason = "damaged" if direction is AdjustmentDirection.OUT else "found"
            key = (place.id, item.id, lot.id)
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
                assert direction is AdjustmentDirection.OUT and self.expected[key] < quantity
                return
            assert direction is AdjustmentDirection.IN or self.expected[key] >= quantity
            sign = -1 if direction is AdjustmentDirection.OUT else 1
            self._record(transaction, [(place.id, item.id, lot.id, sign * quantity)])

        @rule(
            item_index=st.integers(0, ITEMS - 1),
            lot_code=st.sampled_from(LOTS),
            quantity=st.integers(1, 40),
        )
        def transfer(self, item_index: int, lot_code: str, quantity: int) -> None:
            item, lot = self._lot(item_index, lot_code)
            source, target = self.places
            try:
                posted = ledger.post(
                    kind=TransactionKind.OPENING,
                    lines=[ledger.Line(item.id, lot.id, quantity, source.id, target.id)],
                    actor=SYSTEM,
                    occurred_on=business_today(),
                    operation_key=operation_key(),
                )
                db.session.commit()
            except InsufficientStockError:
                db.session.rollback()
                assert self.expected[(source.id, item.id, lot.id)] < quantity
                return
            self._record(
                posted.transaction,
                [(source.id, item.id, lot.id, -quantity), (target.id, item.id, lot.id, quantity)],
            )

        @precondition(lambda self: len(self.posted) > len(self.reversed))
        @rule(data=st.data())
        def reverse(self, data) -> None:
            candidates = [p for p in self.posted if p[0] not in self.reversed]
            transaction_id, changes = data.draw(st.sampled_from(candidates))
            can = all(
                self.expected[(p, i, lot)] - delta >= 0 for p, i, lot, delta in changes if delta > 0
            )
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
                assert not can
                return
            assert can
            self.reversed.add(transaction_id)
            for place_id, item_id, lot_id, delta in changes:
                self.expected[(place_id, item_id, lot_id)] -= delta

        @invariant()
        def balances_match_the_model(self) -> None:
            db.session.expire_all()
            item_ids = [item.id for item in self.items]
            place_ids = [place.id for place in self.places]
            rows = db.session.execute(
                select(
                    Balance.location_id, Balance.item_id, Balance.lot_id, Balance.quantity
                ).where(Balance.item_id.in_(item_ids), Balance.location_id.in_(place_ids))
            ).all()
            actual = {(r.location_id, r.item_id, r.lot_id): r.quantity for r in rows}
            for key, quantity in self.expected.items():
                assert actual.get(key, 0) == quantity, (key, actual.get(key), quantity)
            assert all(quantity >= 0 for quantity in actual.values())

        @invariant()
        def every_item_sums_to_zero(self) -> None:
            totals = db.session.execute(
                select(Balance.item_id, func.sum(Balance.quantity))
                .where(Balance.item_id.in_([item.id for item in self.items]))
                .group_by(Balance.item_id)
            ).all()
            assert all(total == 0 for _item, total in totals)

    StockMachine.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    StockMachine.TestCase().runTest()


def test_receipts_adjustments_transfers_and_reversals_keep_the_ledger_true(app: Flask) -> None:
    run_machine(app)
