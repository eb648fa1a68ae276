"""Race helpers: threads (or worker processes) released together, each committing once."""

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from hilogistics.actors import SYSTEM
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.stock.errors import InsufficientStockError


@dataclass
class RaceResult:
    """How the attempts ended ("ok", "short", a DomainError's message…), and what each returned."""

    outcomes: Counter = field(default_factory=Counter)
    values: list[Any] = field(default_factory=list)


def outcome_of(error: BaseException) -> str:
    """One word for an expected refusal, the message of a DomainError, else the error itself."""
    if isinstance(error, InsufficientStockError):
        return "short"
    if isinstance(error, DomainError):
        return f"refused: {error.message}"
    return f"{type(error).__name__}: {error}"


def race(app: Flask, takers: int, work: Callable[[int], Any]) -> RaceResult:
    """Run ``work(i)`` in ``takers`` threads released by a barrier; one commit per thread.

    ``values`` holds what each successful ``work`` returned (read before its commit, so it
    must be plain data), in thread order, None for the others.
    """
    barrier = threading.Barrier(takers)
    outcomes: list[str] = [""] * takers
    values: list[Any] = [None] * takers

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                value = work(index)
                db.session.commit()
                outcomes[index], values[index] = "ok", value
            except Exception as error:  # noqa: BLE001 - reported by the caller's assertion
                db.session.rollback()
                outcomes[index] = outcome_of(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return RaceResult(Counter(outcomes), values)


def take_in_worker_process(
    config: dict[str, Any],
    rounds: Sequence[tuple[int, int, int, int]],
    takers: int,
    start: Any,
    results: Any,
) -> None:
    """Body of one worker process (``spawn``): its own app on the shared database, as a
    gunicorn worker has. Each round, wait for every worker at ``start``, then ``takers``
    threads each take one unit of the round's (item, place, lot, reason); put each round's
    outcomes on ``results`` as (round, dict)."""
    from hilogistics import create_app
    from hilogistics.dates import business_today
    from hilogistics.stock.models import AdjustmentDirection
    from hilogistics.stock.services import adjust_stock
    from tests.factories import operation_key

    app = create_app(config)
    try:
        for number, (item_id, place_id, lot_id, reason_id) in enumerate(rounds):
            start.wait(timeout=120)

            def take(
                _index: int,
                item_id: int = item_id,
                place_id: int = place_id,
                lot_id: int = lot_id,
                reason_id: int = reason_id,
            ) -> None:
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
                    note="race across processes",
                )

            outcome = race(app, takers, take).outcomes
            results.put((number, dict(outcome)))
    finally:
        with app.app_context():
            db.engine.dispose()
