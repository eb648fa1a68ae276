"""How a request's transaction ends: read-only ones commit (keeping prepared statements)."""

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text, update

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Unit
from hilogistics.db import begin_write, db, end_request_transaction
from tests.factories import make_warehouse


def _endings(app: Flask) -> list[str]:
    """Every COMMIT and ROLLBACK the engine sends from now on, in order."""
    endings: list[str] = []
    event.listen(db.engine, "commit", lambda _connection: endings.append("commit"))
    event.listen(db.engine, "rollback", lambda _connection: endings.append("rollback"))
    return endings


def test_a_read_only_request_ends_with_a_commit_not_a_rollback(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.LOGISTICS)
    place_id = make_warehouse().id
    db.session.commit()
    endings = _endings(app)
    assert client.get(f"/stock/locations/{place_id}").status_code == 200
    assert endings == ["commit"]


def test_teardown_commits_a_transaction_that_only_read(app: Flask) -> None:
    db.session.execute(select(Unit.id)).all()
    assert db.session().in_transaction()
    end_request_transaction(None)
    assert not db.session().in_transaction()


def test_teardown_leaves_a_transaction_that_wrote_to_roll_back(app: Flask) -> None:
    unit_id, name = db.session.execute(select(Unit.id, Unit.name)).first()
    db.session.commit()
    begin_write()
    db.session.execute(update(Unit).where(Unit.id == unit_id).values(name="changed at teardown"))
    end_request_transaction(None)
    assert db.session().in_transaction()  # not committed: Flask-SQLAlchemy's remove() rolls back
    db.session.remove()
    assert db.session.scalar(select(Unit.name).where(Unit.id == unit_id)) == name


def test_teardown_after_an_exception_does_not_commit(app: Flask) -> None:
    db.session.execute(select(Unit.id)).all()
    end_request_transaction(RuntimeError("the view failed"))
    assert db.session().in_transaction()


def test_read_only_requests_keep_their_prepared_statements_on_postgresql(
    app: Flask, backend: str, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """psycopg prepares a statement on its 5th run, and forgets them all at a ROLLBACK."""
    if backend != "postgresql":
        return
    login_as(Role.LOGISTICS)
    place_id = make_warehouse().id
    db.session.commit()
    db.session.remove()
    for _ in range(12):
        assert client.get(f"/stock/locations/{place_id}").status_code == 200
    # The requests' pooled connections (at most a few): one of them holds the prepared ones.
    connections = [db.engine.raw_connection() for _ in range(3)]
    try:
        counts = []
        for connection in connections:
            cursor = connection.cursor()
            cursor.execute(text("SELECT count(*) FROM pg_prepared_statements").text)
            counts.append(cursor.fetchone()[0])
            cursor.close()
            connection.rollback()
    finally:
        for connection in connections:
            connection.close()
    assert max(counts) >= 3, counts
