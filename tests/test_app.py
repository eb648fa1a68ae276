"""The factory, configuration, database engine settings, security headers and error pages."""

import gc
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from hilogistics import create_app, normalise_database_url
from hilogistics.auth.models import Role
from hilogistics.db import db


def test_secret_key_is_generated_once_in_the_instance_folder(tmp_path: Path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config)
    second = create_app(config)
    key_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


@pytest.mark.parametrize("weak", ["dev", "short-key", "changeme"])
def test_production_refuses_a_weak_secret_key(tmp_path: Path, weak: str) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": weak,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )


def test_environment_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/hilo")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("HILOGISTICS_PER_PAGE", "20")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/hilo"
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["PER_PAGE"] == 20


def test_instance_config_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text('ORGANISATION_NAME = "Test org"\n', encoding="utf-8")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["ORGANISATION_NAME"] == "Test org"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://a@h/d", "postgresql+psycopg://a@h/d"),
        ("postgresql://a@h/d", "postgresql+psycopg://a@h/d"),
        ("postgresql+psycopg://a@h/d", "postgresql+psycopg://a@h/d"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_database_url_is_normalised(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
    app: Flask, backend: str
) -> None:
    if backend != "sqlite":
        settings = {
            name: db.session.execute(text(f"SHOW {name}")).scalar()
            for name in ("lock_timeout", "statement_timeout")
        }
        assert settings == {"lock_timeout": "10s", "statement_timeout": "1min"}
        return
    pragma = {
        name: db.session.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 15000,
        "synchronous": 2,
    }


def test_every_response_carries_the_security_headers(client) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user) -> None:
    user = make_user(Role.VIEWER)
    response = client.post(
        "/login", data={"username": user.username, "password": "correct horse battery"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookie_when_configured(app_factory) -> None:
    app = app_factory(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_shows_the_404_page_without_details(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_answers_405(client) -> None:
    assert client.get("/logout").status_code == 405


def test_oversized_request_answers_413(client, app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413


def test_a_crash_shows_500_without_a_trace_and_rolls_back(app_factory) -> None:
    app = app_factory(TESTING=False, DEBUG=False)

    @app.get("/boom")
    def boom() -> str:
        from hilogistics.locations.models import Location, LocationKind

        db.session.add(Location(code="BOOM", kind=LocationKind.CENTRE, name="b", name_ko="b"))
        db.session.flush()
        raise RuntimeError("secret internals")

    boom.access = "public"
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    with app.app_context():
        from hilogistics.locations.models import Location

        assert db.session.scalar(db.select(Location).where(Location.code == "BOOM")) is None


def test_csrf_is_required_on_forms(app_factory) -> None:
    app = app_factory(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_a_process_freezes_what_its_first_requests_built_once(
    app_factory: Callable[..., Flask],
) -> None:
    """Outside tests, the app freezes the garbage collector's view once at start and once after
    its first GC_FREEZE_AFTER_REQUESTS requests (the caches they filled), never again."""
    try:
        served = app_factory(TESTING=False, GC_FREEZE_AFTER_REQUESTS=3).test_client()
        at_start = gc.get_freeze_count()
        assert at_start > 0
        for _ in range(2):
            assert served.get("/login").status_code == 200
        # Frozen objects freed by reference counting leave the count; nothing joins it.
        assert gc.get_freeze_count() <= at_start
        served.get("/login")
        after_warm_up = gc.get_freeze_count()
        assert after_warm_up > at_start
        for _ in range(3):
            served.get("/login")
        assert gc.get_freeze_count() <= after_warm_up
    finally:
        gc.unfreeze()
