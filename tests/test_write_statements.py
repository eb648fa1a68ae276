"""What one adjustment costs in SQL: one key lookup, nothing read twice."""

from collections.abc import Callable

from flask import Flask

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock.models import AdjustmentDirection
from hilogistics.stock.services import adjust_stock
from tests.factories import adjustment_reason, make_item, make_warehouse, operation_key, receive


def test_an_adjustment_looks_its_key_up_once_and_reads_nothing_twice(
    app: Flask, count_queries: Callable[[], list[str]]
) -> None:
    item, place = make_item(), make_warehouse()
    lot_id = receive(item, 10, place).movements[0].lot_id
    reason_id = adjustment_reason("lost").id
    item_id, place_id = item.id, place.id
    db.session.commit()
    db.session.expunge_all()  # as a new request: nothing loaded yet
    before = len(count_queries())
    adjust_stock(
        actor=SYSTEM,
        location_id=place_id,
        item_id=item_id,
        lot_id=lot_id,
        quantity=1,
        direction=AdjustmentDirection.OUT,
        reason_id=reason_id,
        occurred_on=business_today(),
        operation_key=operation_key(),
        note="counted short",
    )
    db.session.commit()
    statements = [s.lstrip().upper() for s in count_queries()[before:]]
    key_lookups = [s for s in statements if s.startswith("SELECT STOCK_TRANSACTIONS.")]
    savepoints = [s for s in statements if s.startswith("SAVEPOINT")]
    assert len(key_lookups) == 1, key_lookups
    assert len(savepoints) == 2  # once()'s, and post()'s own (all-or-nothing, DESIGN §2b)
    # Place, reason, lot, the loss location, the item: each read once.
    for table in ("LOCATIONS", "ADJUSTMENT_REASONS", "LOTS", "ITEMS"):
        reads = [s for s in statements if s.startswith("SELECT") and f"FROM {table} " in s]
        assert len(reads) <= (2 if table == "LOCATIONS" else 1), (table, reads)
    # 18 once the loss location holds this lot; its first time adds an INSERT per balance row.
    assert len(statements) <= 20, "\n".join(s[:90] for s in statements)
