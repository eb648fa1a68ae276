"""Guarded one-shot transitions: a button pressed twice, or by two people, acts once."""

import enum
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hilogistics.db import db, str_enum
from hilogistics.errors import ConflictError
from hilogistics.registry.transitions import transition
from tests.races import race


class Status(enum.StrEnum):
    """The life of a test shipment."""

    DRAFT = "draft"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class _TestBase(DeclarativeBase):
    """A metadata of its own: the table exists only while a test uses it, never in migrations."""


class Parcel(_TestBase):
    """A row with a status, standing in for shipments and requisitions."""

    __tablename__ = "test_transition_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Status] = mapped_column(str_enum(Status))
    handled_by: Mapped[str] = mapped_column(String(40), default="")


@pytest.fixture
def parcels(app: Flask) -> Iterator[None]:
    """Create the test table for one test, and drop it afterwards."""
    _TestBase.metadata.create_all(db.engine)
    yield
    db.session.remove()
    _TestBase.metadata.drop_all(db.engine)


def new_parcel(status: Status = Status.DRAFT) -> int:
    parcel = Parcel(status=status)
    db.session.add(parcel)
    db.session.flush()
    return parcel.id


def status_of(parcel_id: int) -> Status:
    return db.session.scalar(select(Parcel.status).where(Parcel.id == parcel_id))


def test_a_transition_moves_the_row_and_sets_the_other_values(app: Flask, parcels: None) -> None:
    parcel_id = new_parcel()
    loaded = db.session.get(Parcel, parcel_id)
    transition(Parcel, parcel_id, frm=Status.DRAFT, to=Status.DISPATCHED, handled_by="ri")
    # The loaded object reads the new values, not the ones it had before the UPDATE.
    assert (loaded.status, loaded.handled_by) == (Status.DISPATCHED, "ri")


def test_a_transition_may_start_from_several_statuses(app: Flask, parcels: None) -> None:
    draft, dispatched = new_parcel(Status.DRAFT), new_parcel(Status.DISPATCHED)
    for parcel_id in (draft, dispatched):
        transition(Parcel, parcel_id, frm=[Status.DRAFT, Status.DISPATCHED], to=Status.CANCELLED)
        assert status_of(parcel_id) is Status.CANCELLED


def test_the_second_press_of_the_same_button_is_refused_and_changes_nothing(
    app: Flask, parcels: None
) -> None:
    parcel_id = new_parcel()
    transition(Parcel, parcel_id, frm=Status.DRAFT, to=Status.DISPATCHED, handled_by="first")
    with pytest.raises(ConflictError, match="already done"):
        transition(Parcel, parcel_id, frm=Status.DRAFT, to=Status.DISPATCHED, handled_by="second")
    db.session.expire_all()
    parcel = db.session.get(Parcel, parcel_id)
    assert (parcel.status, parcel.handled_by) == (Status.DISPATCHED, "first")


def test_a_step_that_no_longer_applies_says_what_the_status_is_now(
    app: Flask, parcels: None
) -> None:
    parcel_id = new_parcel(Status.CANCELLED)
    with pytest.raises(ConflictError, match="“cancelled”") as refused:
        transition(Parcel, parcel_id, frm=Status.DRAFT, to=Status.DISPATCHED)
    assert refused.value.status_code == 409
    assert status_of(parcel_id) is Status.CANCELLED


def test_a_missing_row_is_a_conflict_not_a_crash(app: Flask, parcels: None) -> None:
    with pytest.raises(ConflictError, match="no longer exists"):
        transition(Parcel, 987654, frm=Status.DRAFT, to=Status.DISPATCHED)


def test_a_transition_needs_a_status_to_start_from(app: Flask, parcels: None) -> None:
    with pytest.raises(ValueError, match="at least one status"):
        transition(Parcel, new_parcel(), frm=[], to=Status.DISPATCHED)


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 2, "pool_timeout": 60}
    )


@pytest.mark.slow
def test_8_people_pressing_dispatch_at_once_dispatch_once(
    app: Flask, parcels: None, race_app: Flask
) -> None:
    for _repeat in range(20):
        parcel_id = new_parcel()
        db.session.commit()

        def press(index: int, parcel_id: int = parcel_id) -> str:
            transition(
                Parcel, parcel_id, frm=Status.DRAFT, to=Status.DISPATCHED, handled_by=f"p{index}"
            )
            return f"p{index}"

        result = race(race_app, 8, press)
        refusals = Counter(o for o in result.outcomes.elements() if o != "ok")
        assert result.outcomes["ok"] == 1, result.outcomes
        assert len(refusals) == 1 and next(iter(refusals)).startswith("refused: "), refusals
        assert sum(refusals.values()) == 7
        winner = next(value for value in result.values if value is not None)
        db.session.expire_all()
        parcel = db.session.get(Parcel, parcel_id)
        assert (parcel.status, parcel.handled_by) == (Status.DISPATCHED, winner)
        db.session.commit()
