"""Set-up the benchmarks share: the app's settings, a fresh migrated database of either kind,
the SQLite database of one history size (temporary, or kept and reused in ``--out``), and the
benchmark's accounts.

Imported by the scripts of this folder once they have put the repository on ``sys.path``.
"""

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import delete

from hilogistics import create_app
from hilogistics.actors import SYSTEM
from hilogistics.auth import services as auth_services
from hilogistics.auth.models import Role, User
from hilogistics.db import db


def config(url: str, instance: Path) -> dict[str, object]:
    """Test settings on ``url``: no CSRF (the benchmarks post forms), a random secret key."""
    return {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "WTF_CSRF_ENABLED": False,
    }


@contextmanager
def fresh_app(kind: str, name: str) -> Iterator[Flask]:
    """The app on a new database migrated to head: a SQLite file, or with ``kind`` "postgres"
    a throwaway cluster as the tests start (stopped on leaving). ``name`` names the files."""
    from tests.conftest import base_config, migrate_to_head

    folder = Path(tempfile.mkdtemp(prefix=f"hilo-{name}-"))
    cluster = None
    if kind == "postgres":
        from tests.pg import Cluster

        cluster = Cluster().start()
        url = cluster.create_database(f"bench_{name}")
    else:
        url = f"sqlite:///{folder / f'{name}.sqlite'}"
    try:
        migrate_to_head(url, folder / "instance")
        yield create_app(base_config(url, folder / "instance"))
    finally:
        if cluster is not None:
            cluster.stop()


def sized_app(size: int, out: str | None, stack: ExitStack, name: str = "stock") -> Flask:
    """The app on the SQLite database of a ``size``-movement history: ``<name>-bench-<size>``
    in ``out`` (kept, reused by the next run), else in a folder removed when ``stack`` closes."""
    if out:
        folder = Path(out).resolve()  # Flask wants an absolute instance path
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / f"{name}-bench-{size}.sqlite"
    else:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hilo-")))
        database = folder / "bench.sqlite"
    instance = folder / f"instance-{size}"
    instance.mkdir(exist_ok=True)
    app = create_app(config(f"sqlite:///{database}", instance))
    print(f"size {size}: {database}", flush=True)
    return app


def bench_users(password: str, *accounts: tuple[str, Role, int | None]) -> None:
    """(Re)create the accounts ``(username, role, place)`` the benchmark signs in with.

    Made again at every run, so that a database kept in ``--out`` takes this run's password.
    """
    db.session.execute(delete(User).where(User.username.in_([name for name, _, _ in accounts])))
    for username, role, location_id in accounts:
        auth_services.create_user(
            actor=SYSTEM,
            username=username,
            display_name=username,
            role=role,
            password=password,
            location_id=location_id,
        )
