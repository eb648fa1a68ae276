"""Many users posting at once, on SQLite and PostgreSQL: no negative stock, no lost update,
no double post. Each race is repeated, because one lucky run proves nothing."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    ItemBalance,
    StockTransaction,
)
from hilogistics.stock.services import ReceiptLine, adjust_stock, record_receipt
from tests.factories import make_item, make_warehouse, operation_key, receive

REPEATS = 20
# 200 threads against 100 units: every round is a crowd of 100 losers, so fewer rounds are
# needed to provoke the race, and each round costs ten times a 16-thread one.
CROWD_REPEATS = 5
pytestmark = pytest.mark.slow


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool lets every thread hold its own connection at the same moment."""
    return app_factory(
        # Keep every connection between repeats: opening 200 PostgreSQL connections per race
        # would cost more than the race itself.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 210, "max_overflow": 10, "pool_timeout": 120}
    )


def race(app: Flask, takers: int, work: Callable[[int], object]) -> Counter:
    """Run ``work(i)`` in ``takers`` threads released together; one commit per thread.

    Returns how the attempts ended: "ok", "short" (InsufficientStockError) or an error text.
    """
    barrier = threading.Barrier(takers)
    outcomes: list[str] = [""] * takers

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                work(index)
                db.session.commit()
                outcomes[index] = "ok"
            except InsufficientStockError:
                db.session.rollback()
                outcomes[index] = "short"
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcomes[index] = f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return Counter(outcomes)


def stock_with(quantity: int) -> tuple[int, int, int, int]:
    """A fresh item with ``quantity`` in a fresh warehouse: (item, warehouse, lot, reason) ids."""
    item, warehouse = make_item(), make_warehouse()
    transaction = receive(item, quantity, warehouse)
    reason_id = db.session.scalar(
        select(AdjustmentReason.id).where(AdjustmentReason.code == "lost")
    )
    lot_id = transaction.movements[0].lot_id
    ids = (item.id, warehouse.id, lot_id, reason_id)
    db.session.commit()
    return ids


def take(item_id: int, warehouse_id: int, lot_id: int, reason_id: int, quantity: int) -> None:
    adjust_stock(
        actor=SYSTEM,
        location_id=warehouse_id,
        item_id=item_id,
        lot_id=lot_id,
        quantity=quantity,
        direction=AdjustmentDirection.OUT,
        reason_id=reason_id,
        occurred_on=business_today(),
        operation_key=operation_key(),
        note="race",
    )


def quantity_at(item_id: int, warehouse_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.sum(Balance.quantity)).where(
            Balance.item_id == item_id, Balance.location_id == warehouse_id
        )
    )


def test_200_one_unit_takers_against_100_on_hand_exactly_100_win(
    app: Flask, race_app: Flask
) -> None:
    for _ in range(CROWD_REPEATS):
        ids = stock_with(100)
        outcomes = race(race_app, 200, lambda _i, ids=ids: take(*ids, 1))
        item_id, warehouse_id = ids[0], ids[1]
        assert outcomes == Counter({"ok": 100, "short": 100}), outcomes
        assert quantity_at(item_id, warehouse_id) == 0


def test_the_last_three_units_go_to_exactly_one_of_16_takers(app: Flask, race_app: Flask) -> None:
    for _ in range(REPEATS):
        ids = stock_with(3)
        outcomes = race(race_app, 16, lambda _i, ids=ids: take(*ids, 3))
        item_id, warehouse_id = ids[0], ids[1]
        assert outcomes == Counter({"ok": 1, "short": 15}), outcomes
        assert quantity_at(item_id, warehouse_id) == 0


def test_one_operation_key_sent_by_8_threads_posts_once(app: Flask, race_app: Flask) -> None:
    for _ in range(REPEATS):
        item, warehouse = make_item(), make_warehouse()
        # Read the ids before committing: touching an expired object afterwards would open a
        # write transaction (outside a request) that the racing threads must wait behind.
        item_id, warehouse_id, key = item.id, warehouse.id, operation_key()
        db.session.commit()

        def send(
            _index: int, item_id: int = item_id, warehouse_id: int = warehouse_id, key: str = key
        ) -> None:
            record_receipt(
                actor=SYSTEM,
                warehouse_id=warehouse_id,
                occurred_on=business_today(),
                lines=[ReceiptLine(item_id=item_id, quantity=10)],
                operation_key=key,
            )

        outcomes = race(race_app, 8, send)
        assert outcomes == Counter({"ok": 8}), outcomes
        db.session.expire_all()
        posted = db.session.scalar(
            select(func.count())
            .select_from(StockTransaction)
            .where(StockTransaction.operation_key == key)
        )
        assert posted == 1
        assert quantity_at(item_id, warehouse_id) == 10


def test_one_adjustment_key_sent_by_8_threads_takes_the_last_units_once(
    app: Flask, race_app: Flask
) -> None:
    """An adjustment leaves a replay to the key's unique index (no look-up first): the sends
    that lose the race, whether refused for the stock gone or by the index, answer the first."""
    for _ in range(3):
        item_id, warehouse_id, lot_id, reason_id = stock_with(5)
        key = operation_key()

        def send(_index: int, ids: tuple[int, int, int, int] = (item_id, warehouse_id, lot_id,
                 reason_id), key: str = key) -> None:  # fmt: skip
            adjust_stock(
                actor=SYSTEM,
                location_id=ids[1],
                item_id=ids[0],
                lot_id=ids[2],
                quantity=5,
                direction=AdjustmentDirection.OUT,
                reason_id=ids[3],
                occurred_on=business_today(),
                operation_key=key,
                note="race",
            )

        outcomes = race(race_app, 8, send)
        assert outcomes == Counter({"ok": 8}), outcomes
        posted = db.session.scalar(
            select(func.count())
            .select_from(StockTransaction)
            .where(StockTransaction.operation_key == key)
        )
        assert posted == 1
        assert quantity_at(item_id, warehouse_id) == 0


def item_row(item_id: int, warehouse_id: int) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.execute(
        select(ItemBalance.on_hand, ItemBalance.reserved).where(
            ItemBalance.item_id == item_id, ItemBalance.location_id == warehouse_id
        )
    ).one()
    return row.on_hand, row.reserved


def test_two_reservations_for_the_last_units_one_wins(app: Flask, race_app: Flask) -> None:
    for repeat in range(REPEATS):
        item_id, warehouse_id, _lot, _reason = stock_with(3)

        def hold(
            index: int, item_id: int = item_id, warehouse_id: int = warehouse_id, repeat=repeat
        ) -> None:
            ledger.reserve(
                actor=SYSTEM,
                holder=f"REQ-{repeat}-{index}",
                location_id=warehouse_id,
                item_id=item_id,
                quantity=3,
            )

        outcomes = race(race_app, 16, hold)
        assert outcomes == Counter({"ok": 1, "short": 15}), outcomes
        assert item_row(item_id, warehouse_id) == (3, 3)


def test_takes_racing_reservations_never_leave_available_below_zero(
    app: Flask, race_app: Flask
) -> None:
    for repeat in range(REPEATS):
        ids = stock_with(10)
        item_id, warehouse_id = ids[0], ids[1]

        def either(index: int, ids: tuple[int, int, int, int] = ids, repeat: int = repeat) -> None:
            if index % 2:
                take(*ids, 6)
            else:
                ledger.reserve(
                    actor=SYSTEM,
                    holder=f"MIX-{repeat}-{index}",
                    location_id=ids[1],
                    item_id=ids[0],
                    quantity=6,
                )

        outcomes = race(race_app, 16, either)
        assert outcomes == Counter({"ok": 1, "short": 15}), outcomes
        on_hand, reserved = item_row(item_id, warehouse_id)
        assert (on_hand, reserved) in {(4, 0), (10, 6)}
        assert on_hand - reserved >= 0


def test_one_new_serial_number_received_by_8_threads_is_recorded_once(
    app: Flask, race_app: Flask
) -> None:
    for repeat in range(REPEATS):
        item, warehouse = make_item(tracks_serial=True), make_warehouse()
        item_id, warehouse_id = item.id, warehouse.id
        db.session.commit()

        def send(
            _index: int, item_id: int = item_id, warehouse_id: int = warehouse_id, repeat=repeat
        ) -> None:
            record_receipt(
                actor=SYSTEM,
                warehouse_id=warehouse_id,
                occurred_on=business_today(),
                lines=[ReceiptLine(item_id=item_id, quantity=1, serials=[f"SN-{repeat}"])],
                operation_key=operation_key(),
            )

        outcomes = race(race_app, 8, send)
        assert outcomes["ok"] == 1, outcomes
        # LineProblems: the receipt's one-pass check saw the twin's serial number committed.
        refused = ("short", "DomainError", "ConflictError", "LineProblems")
        assert all(outcome.startswith(refused) for outcome in outcomes if outcome != "ok"), outcomes
        assert quantity_at(item_id, warehouse_id) == 1
