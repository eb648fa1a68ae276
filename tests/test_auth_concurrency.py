"""Two administrators removing each other at the same moment leave one active administrator,
on SQLite and PostgreSQL. Repeated, because one lucky run proves nothing."""

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from hilogistics.auth import services
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import DomainError

REPEATS = 10
pytestmark = pytest.mark.slow


def deactivate(actor: User, target: User) -> None:
    services.set_active(actor=actor, user=target, active=False)


def demote(actor: User, target: User) -> None:
    services.update_user(
        actor=actor,
        user=target,
        display_name=target.display_name,
        role=Role.VIEWER,
        location_id=None,
        locale=None,
    )


def active_admins() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
    )


def remove_each_other(app: Flask, ids: tuple[int, int], change: Callable) -> list[str]:
    """Each of two threads has one admin act on the other; both start at the same moment."""
    barrier = threading.Barrier(2)
    outcomes = ["", ""]

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                actor = db.session.get(User, ids[index])
                target = db.session.get(User, ids[1 - index])
                change(actor, target)
                db.session.commit()
                outcomes[index] = "ok"
            except DomainError as error:  # refused: the last admin, or no longer an admin
                db.session.rollback()
                outcomes[index] = type(error).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.parametrize("change", [deactivate, demote], ids=["deactivate", "demote"])
def test_two_admins_removing_each_other_at_once_leave_one(
    app: Flask, app_factory: Callable[..., Flask], make_user, change: Callable
) -> None:
    race_app = app_factory()
    outcomes = []
    for _ in range(REPEATS):
        # Exactly two active administrators before each round.
        db.session.execute(update(User).where(User.role == Role.ADMIN).values(is_active=False))
        first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
        ids = (first.id, second.id)
        db.session.commit()  # hold no lock while the two race (SQLite: no write transaction)
        outcome = remove_each_other(race_app, ids, change)
        outcomes.append(outcome)
        assert active_admins() == 1, outcomes
        assert sorted(outcome)[-1] == "ok", outcomes
