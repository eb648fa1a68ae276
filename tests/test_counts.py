"""Physical counts: keying against the balance of the moment, recounts, posting once, abandon.

The race test repeats twice on each database (the ledger's own races are repeated elsewhere).
"""

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.counts.models import CountStatus, StockCount
from hilogistics.counts.services import (
    CountEntry,
    Recount,
    abandon_count,
    open_count,
    post_count,
    record_counts,
    record_recounts,
)
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import ConflictError, DomainError, NotFoundError
from hilogistics.lines.problems import LineProblems
from hilogistics.stock.models import Balance, Movement, StockTransaction, TransactionKind
from hilogistics.stock.services import AdjustmentDirection, adjust_stock
from tests.factories import (
    adjustment_reason,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)
from tests.races import race

TODAY = business_today()


def on_hand(location_id: int, lot_id: int) -> int:
    """The lot balance at a place (0 when there is no row)."""
    return (
        db.session.scalar(
            select(Balance.quantity).where(
                Balance.location_id == location_id, Balance.lot_id == lot_id
            )
        )
        or 0
    )


def stocked(quantity: int, **item: object):  # noqa: ANN201 - a test helper
    place = make_warehouse()
    product = make_item(**item)
    lot = receive(product, quantity, place, lot_code="L1").movements[0].lot
    return place, product, lot


def take(place, product, lot, quantity: int) -> None:  # noqa: ANN001
    adjust_stock(
        actor=SYSTEM,
        location_id=place.id,
        item_id=product.id,
        lot_id=lot.id,
        quantity=quantity,
        direction=AdjustmentDirection.OUT,
        reason_id=adjustment_reason("damaged").id,
        occurred_on=TODAY,
        operation_key=operation_key(),
        note="broken",
    )


def post(count: StockCount, actor: object = SYSTEM, key: str | None = None) -> StockCount:
    return post_count(
        actor=actor,  # type: ignore[arg-type]
        count_id=count.id,
        occurred_on=TODAY,
        operation_key=key or operation_key(),
    )


def test_posting_makes_balances_the_counted_figures_and_finds_a_new_lot(app: Flask) -> None:
    place, product, lot = stocked(20)
    other = make_item(tracks_expiry=True)
    count = open_count(
        actor=SYSTEM, location_id=place.id, recount_quantity=100, recount_percent=100
    )
    assert count.number.startswith(f"CNT-{TODAY.year}-")
    lines = record_counts(
        actor=SYSTEM,
        count_id=count.id,
        entries=[
            CountEntry(item_id=product.id, lot_id=lot.id, counted=17),
            CountEntry(
                item_id=other.id,
                lot_code="NEW-1",
                expires_on=TODAY.replace(year=TODAY.year + 2),
                counted=4,
            ),
        ],
    )
    assert [(line.expected, line.difference) for line in lines] == [(20, -3), (0, 4)]
    post(count)
    assert count.status is CountStatus.POSTED
    transaction = count.transaction
    assert transaction.kind is TransactionKind.COUNT
    assert transaction.document_id == count.document_id
    assert on_hand(place.id, lot.id) == 17
    new_lot = count.lines[1].lot
    assert new_lot is not None and new_lot.code == "NEW-1"
    assert on_hand(place.id, new_lot.id) == 4
    # The COUNT location shows the differences: 3 in from the place, 4 out to it.
    assert on_hand(virtual("COUNT").id, lot.id) == 3
    assert on_hand(virtual("COUNT").id, new_lot.id) == -4
    reason = adjustment_reason("count")
    assert {m.reason_id for m in transaction.movements} == {reason.id}


def test_stock_moving_during_the_count_is_not_counted_twice(app: Flask) -> None:
    place, product, lot = stocked(30)
    count = open_count(
        actor=SYSTEM, location_id=place.id, recount_quantity=100, recount_percent=100
    )
    take(place, product, lot, 5)  # between opening and counting: 25 on the shelf
    record_counts(
        actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 24, lot_id=lot.id)]
    )
    take(place, product, lot, 4)  # between counting and posting: 21 in the system
    post(count)
    # One unit was missing when counted (24 against 25): the rest moved through the ledger.
    assert count.lines[0].difference == -1
    assert on_hand(place.id, lot.id) == 20


def test_a_big_difference_waits_for_a_recount_by_someone_else(app: Flask) -> None:
    place, product, lot = stocked(100)
    first, second = make_user(Role.LOGISTICS), make_user(Role.LOGISTICS)
    count = open_count(actor=first, location_id=place.id, recount_quantity=5, recount_percent=10)
    (small,) = record_counts(
        actor=first, count_id=count.id, entries=[CountEntry(product.id, 96, lot_id=lot.id)]
    )
    assert not small.needs_recount  # 4 units, 4 %: under both thresholds
    (line,) = record_counts(
        actor=first, count_id=count.id, entries=[CountEntry(product.id, 80, lot_id=lot.id)]
    )
    assert line.needs_recount
    with pytest.raises(DomainError, match="recount"):
        post(count, actor=first)
    with pytest.raises(LineProblems) as refused:
        record_recounts(actor=first, count_id=count.id, recounts=[Recount(line.id, 81)])
    assert refused.value.problems[0].field == "lines-0-counted"
    record_recounts(actor=second, count_id=count.id, recounts=[Recount(line.id, 82)])
    posted = post(count, actor=second)
    assert posted.posted_by_id == second.id
    assert posted.lines[0].counted_by_id == first.id
    assert posted.lines[0].recounted_by_id == second.id
    assert on_hand(place.id, lot.id) == 82


def test_every_problem_of_every_line_in_one_pass(app: Flask) -> None:
    place, product, lot = stocked(10)
    expiring = make_item(tracks_expiry=True)
    count = open_count(actor=SYSTEM, location_id=place.id)
    with pytest.raises(LineProblems) as refused:
        record_counts(
            actor=SYSTEM,
            count_id=count.id,
            entries=[
                CountEntry(product.id, 3, lot_id=lot.id),
                CountEntry(expiring.id, 2, lot_code="X"),  # found, but no expiry
                CountEntry(product.id, 4, lot_code="l1"),  # the same lot as line 1
            ],
        )
    fields = [problem.field for problem in refused.value.problems]
    assert fields == ["lines-1-expires_on", "lines-2-lot_code"]


def test_abandoning_posts_nothing_and_closes_the_count(app: Flask) -> None:
    place, product, lot = stocked(10)
    count = open_count(actor=SYSTEM, location_id=place.id)
    record_counts(
        actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 2, lot_id=lot.id)]
    )
    before = db.session.scalar(select(func.count()).select_from(Movement))
    abandon_count(actor=SYSTEM, count_id=count.id, reason="wrong place")
    assert count.status is CountStatus.ABANDONED
    assert db.session.scalar(select(func.count()).select_from(Movement)) == before
    assert on_hand(place.id, lot.id) == 10
    with pytest.raises(ConflictError):
        record_counts(
            actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 2, lot_id=lot.id)]
        )
    with pytest.raises(ConflictError):
        post(count)


def test_technicians_count_their_own_place_only_and_never_post(app: Flask) -> None:
    centre = make_location()
    elsewhere = make_location()
    technician = make_user(Role.TECHNICIAN, location=centre)
    count = open_count(actor=technician, location_id=centre.id)
    with pytest.raises(NotFoundError):
        open_count(actor=technician, location_id=elsewhere.id)
    other = open_count(actor=SYSTEM, location_id=elsewhere.id)
    with pytest.raises(NotFoundError):
        record_counts(actor=technician, count_id=other.id, entries=[CountEntry(1, 1)])
    with pytest.raises(DomainError):
        post(count, actor=technician)


def test_the_same_post_sent_again_posts_once(app: Flask) -> None:
    place, product, lot = stocked(10)
    count = open_count(
        actor=SYSTEM, location_id=place.id, recount_quantity=100, recount_percent=100
    )
    record_counts(
        actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 7, lot_id=lot.id)]
    )
    key = operation_key()
    post(count, key=key)
    post(count, key=key)
    assert on_hand(place.id, lot.id) == 7


REPEATS = 2


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 5, "pool_timeout": 60}
    )


@pytest.mark.slow
def test_two_people_posting_one_count_post_one_transaction(app: Flask, race_app: Flask) -> None:
    for _repeat in range(REPEATS):
        place, product, lot = stocked(10)
        count = open_count(
            actor=SYSTEM, location_id=place.id, recount_quantity=100, recount_percent=100
        )
        record_counts(
            actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 6, lot_id=lot.id)]
        )
        count_id = count.id
        db.session.commit()

        def send(_index: int, count_id: int = count_id) -> None:
            post_count(
                actor=SYSTEM, count_id=count_id, occurred_on=TODAY, operation_key=operation_key()
            )

        result = race(race_app, 2, send)
        assert result.outcomes["ok"] == 1, result.outcomes
        assert sum(result.outcomes.values()) == 2
        db.session.expire_all()
        posted = db.session.scalar(
            select(func.count())
            .select_from(StockTransaction)
            .where(StockTransaction.document_id == db.session.get(StockCount, count_id).document_id)
        )
        assert posted == 1
        assert on_hand(place.id, lot.id) == 6
        db.session.commit()


def test_check_ledger_is_clean_after_a_count_and_the_sheet_prints_from_the_command_line(
    app: Flask, runner, tmp_path
) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    place, product, lot = stocked(12)
    count = open_count(
        actor=SYSTEM, location_id=place.id, recount_quantity=100, recount_percent=100
    )
    record_counts(
        actor=SYSTEM, count_id=count.id, entries=[CountEntry(product.id, 9, lot_id=lot.id)]
    )
    post(count)
    number = count.number
    db.session.commit()
    checked = runner.invoke(args=["hilo", "check-ledger"])
    assert checked.exit_code == 0, checked.output
    output = tmp_path / "sheet.pdf"
    for _time in range(2):
        printed = runner.invoke(args=["hilo", "print", number, "-o", str(output)])
        assert printed.exit_code == 0, printed.output
    text = "".join(page.extract_text() for page in PdfReader(output).pages)
    assert number in text and "COPY 2" in text and product.code in text
