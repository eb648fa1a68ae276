"""Races the first review found untested: crossing transfers, double reversals, and writers in
several processes (as gunicorn workers are). Repeated on SQLite and PostgreSQL."""

import multiprocessing
import queue
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.stock import ledger
from hilogistics.stock.models import AdjustmentReason, Balance, ItemBalance, TransactionKind
from hilogistics.stock.services import reverse_transaction
from tests.conftest import base_config
from tests.factories import make_item, make_warehouse, operation_key, receive
from tests.races import race, take_in_worker_process

pytestmark = pytest.mark.slow
REPEATS = 10


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 5, "pool_timeout": 60}
    )


def balance(location_id: int, lot_id: int) -> int:
    return db.session.scalar(
        select(Balance.quantity).where(Balance.location_id == location_id, Balance.lot_id == lot_id)
    )


def test_crossing_multi_line_transfers_never_deadlock_and_conserve_stock(
    app: Flask, race_app: Flask
) -> None:
    """A→B lot 1 with B→A lot 2, against B→A lot 1 with A→B lot 2, 8 of each at once.

    Each post touches the same four balance rows in opposite orders line by line; only the
    ledger's one sorted order keeps PostgreSQL from finding a deadlock (SQLite serialises).
    """
    for _repeat in range(REPEATS):
        item, first, second = make_item(), make_warehouse(), make_warehouse()
        lot_1 = receive(item, 100, first, lot_code="L1").movements[0].lot_id
        lot_2 = receive(item, 100, first, lot_code="L2").movements[0].lot_id
        receive(item, 100, second, lot_code="L1")
        receive(item, 100, second, lot_code="L2")
        a, b, item_id = first.id, second.id, item.id
        db.session.commit()
        crossing = [
            [ledger.Line(item_id, lot_1, 1, a, b), ledger.Line(item_id, lot_2, 1, b, a)],
            [ledger.Line(item_id, lot_1, 1, b, a), ledger.Line(item_id, lot_2, 1, a, b)],
        ]

        def transfer(index: int, crossing: list = crossing) -> None:
            ledger.post(
                kind=TransactionKind.ADJUSTMENT,
                lines=crossing[index % 2],
                actor=SYSTEM,
                occurred_on=business_today(),
                operation_key=operation_key(),
                note="crossing transfer",
            )

        result = race(race_app, 16, transfer)
        assert result.outcomes == Counter({"ok": 16}), result.outcomes
        db.session.expire_all()
        # Eight went each way: every balance is back where it started, and nothing was lost.
        assert [balance(place, lot) for place in (a, b) for lot in (lot_1, lot_2)] == [100] * 4
        db.session.commit()


def test_two_reversals_of_one_transaction_at_once_reverse_it_once(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        item, warehouse = make_item(), make_warehouse()
        original = receive(item, 10, warehouse)
        original_id, warehouse_id, lot_id = original.id, warehouse.id, original.movements[0].lot_id
        db.session.commit()

        def reverse(_index: int, original_id: int = original_id) -> None:
            reverse_transaction(
                actor=SYSTEM,
                transaction_id=original_id,
                note="keyed twice",
                operation_key=operation_key(),
            )

        result = race(race_app, 2, reverse)
        assert result.outcomes == Counter(
            {"ok": 1, "refused: This transaction has already been reversed.": 1}
        ), result.outcomes
        db.session.expire_all()
        assert balance(warehouse_id, lot_id) == 0
        db.session.commit()


ROUNDS, PROCESSES, THREADS, ON_HAND = 3, 4, 25, 50


def test_worker_processes_taking_at_once_take_exactly_what_is_on_hand(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    """4 processes (spawned, each with its own app, as gunicorn workers) × 25 one-unit takers
    against 50 on hand: exactly 50 succeed, in every round."""
    reason_id = db.session.scalar(
        select(AdjustmentReason.id).where(AdjustmentReason.code == "lost")
    )
    rounds = []
    for _round in range(ROUNDS):
        item, warehouse = make_item(), make_warehouse()
        lot_id = receive(item, ON_HAND, warehouse).movements[0].lot_id
        rounds.append((item.id, warehouse.id, lot_id, reason_id))
    db.session.commit()

    config = {
        **base_config(database_url, tmp_path / "workers"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 5, "pool_timeout": 60},
    }
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(
            target=take_in_worker_process, args=(config, rounds, THREADS, start, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    per_round: dict[int, Counter] = {n: Counter() for n in range(ROUNDS)}
    try:
        for _ in range(ROUNDS * PROCESSES):
            number, outcome = results.get(timeout=240)
            per_round[number].update(outcome)
    except queue.Empty:
        pytest.fail(f"a worker process did not report; exit codes {[w.exitcode for w in workers]}")
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        results.close()
        results.join_thread()
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    for number, (_item_id, warehouse_id, lot_id, _reason) in enumerate(rounds):
        assert per_round[number] == Counter({"ok": ON_HAND, "short": ON_HAND}), per_round
        assert balance(warehouse_id, lot_id) == 0


def test_a_post_netting_to_zero_at_a_place_waits_for_that_places_item_row(
    app: Flask, race_app: Flask
) -> None:
    """A lot swap (one out, one back in, same item and place) changes no end-of-day balance
    but rereads the place's stock-out spans: it must hold the item row like any other post,
    or a concurrent post's commit between its reads makes it write wrong spans."""
    item, warehouse = make_item(), make_warehouse()
    first = receive(item, 5, warehouse, lot_code="SWAP-1")
    second = receive(item, 5, warehouse, lot_code="SWAP-2")
    lots = first.movements[0].lot_id, second.movements[0].lot_id
    recipients = db.session.scalar(select(Location).where(Location.code == "RECIPIENTS"))
    warehouse_id, item_id, recipients_id = warehouse.id, item.id, recipients.id
    db.session.commit()
    finished = threading.Event()

    def swap() -> None:
        with race_app.app_context():
            try:
                ledger.post(
                    kind=TransactionKind.ADJUSTMENT,
                    lines=[
                        ledger.Line(item_id, lots[0], 1, warehouse_id, recipients_id),
                        ledger.Line(item_id, lots[1], 1, recipients_id, warehouse_id),
                    ],
                    actor=SYSTEM,
                    occurred_on=business_today(),
                    operation_key=operation_key(),
                )
                db.session.commit()
            finally:
                db.session.remove()
                finished.set()

    with race_app.app_context():
        holder = db.engine.connect()
        try:
            # Another writer holds the warehouse's item row (on SQLite: the write lock).
            holder.execute(
                update(ItemBalance)
                .where(ItemBalance.location_id == warehouse_id, ItemBalance.item_id == item_id)
                .values(on_hand=ItemBalance.on_hand)
            )
            thread = threading.Thread(target=swap)
            thread.start()
            assert not finished.wait(1.5), "the swap did not wait for the item row"
            holder.commit()
        finally:
            holder.close()
    thread.join(timeout=60)
    assert finished.is_set()
    assert ledger_differences_of(item_id) == []


def ledger_differences_of(item_id: int) -> list[str]:
    from hilogistics.stock.audit import ledger_differences

    return [d.describe() for d in ledger_differences() if d.item_id in (item_id, 0)]
