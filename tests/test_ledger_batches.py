"""Big posts: many balance rows in few statements (SQLite batches, PostgreSQL chunked chains),
with every guard kept: a refused row among many still names its lot and writes nothing."""

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import Balance, ItemBalance, StockTransaction, TransactionKind
from hilogistics.stock.services import ReceiptLine, record_receipt
from tests.factories import make_item, make_warehouse, operation_key, virtual

# 40 lines touch 160 balance rows: past SQLite's batch threshold and two PostgreSQL chains.
LINES = 40


def _stocked_place() -> tuple[object, list[tuple[int, int]]]:
    items = [make_item(code=f"BATCH-{n:02d}") for n in range(LINES)]
    place = make_warehouse(name="Batch store")
    posted = record_receipt(
        actor=SYSTEM,
        warehouse_id=place.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item_id=item.id, quantity=5, lot_code="B1") for item in items],
        operation_key=operation_key(),
    )
    db.session.commit()
    return place, [(m.item_id, m.lot_id) for m in posted.movements]


def _to_loss(place_id: int, lots: list[tuple[int, int]], quantities: list[int]) -> None:
    loss = virtual("LOSS")
    ledger.post(
        kind=TransactionKind.ADJUSTMENT,
        lines=[
            ledger.Line(item_id, lot_id, quantity, place_id, loss.id)
            for (item_id, lot_id), quantity in zip(lots, quantities, strict=True)
        ],
        actor=SYSTEM,
        occurred_on=business_today(),
        operation_key=operation_key(),
    )


def test_a_big_post_applies_every_row_in_few_statements(
    app: Flask, count_queries: Callable[[], list[str]]
) -> None:
    place, lots = _stocked_place()
    before = len(count_queries())
    _to_loss(place.id, lots, [2] * LINES)
    db.session.commit()
    statements = [s.upper() for s in count_queries()[before:]]
    writes = [s for s in statements if "BALANCES" in s and not s.lstrip().startswith("SELECT")]
    assert len(writes) <= 6, len(writes)  # not one (or two) per row: 160 rows
    on_hand = db.session.scalars(
        select(Balance.quantity).where(Balance.location_id == place.id)
    ).all()
    assert on_hand == [3] * LINES
    totals = db.session.scalars(
        select(ItemBalance.on_hand).where(ItemBalance.location_id == place.id)
    ).all()
    assert totals == [3] * LINES


def test_one_short_row_among_many_is_named_and_nothing_is_written(app: Flask) -> None:
    place, lots = _stocked_place()
    quantities = [1] * LINES
    quantities[-3] = 6  # the third last line asks one more than on hand
    with pytest.raises(InsufficientStockError) as raised:
        _to_loss(place.id, lots, quantities)
    db.session.rollback()
    assert "BATCH-37" in raised.value.message and "6 wanted, 5 on hand" in raised.value.message
    assert db.session.scalar(select(func.sum(Balance.quantity)).where(
        Balance.location_id == place.id
    )) == 5 * LINES  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == 1
