"""Application factory: configuration, extensions, blueprints, CLI and error handlers."""

import gc
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from hilogistics import config as default_config
from hilogistics.db import (
    end_request_transaction,
    engine_options,
    install_idle_ping,
    install_sqlite_events,
    install_write_tracking,
)
from hilogistics.extensions import babel, csrf, db, login_manager, migrate
from hilogistics.web_assets import init_web_assets, static_url_path

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
_MIN_SECRET_LENGTH = 32
_WEAK_SECRETS = frozenset({"dev", "development", "secret", "changeme", "change-me", "test"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults → instance/config.py → environment → ``test_config``."""
    # Tests give their own instance folder so they never touch the real one.
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        static_url_path=static_url_path(),
    )
    _configure(app, test_config)

    from hilogistics import limits

    limits.install(app)
    from hilogistics import models  # noqa: F401  (every table on the metadata, for Alembic)

    db.init_app(app)
    from hilogistics.history import recording

    recording.install()
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    _init_babel(app)
    _init_login(app)
    with app.app_context():
        from hilogistics import readcache

        # First: its "commit" listener reads what the listeners installed below then forget.
        readcache.install(app)
        if db.engine.dialect.name == "sqlite":
            install_sqlite_events(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        else:
            install_write_tracking(db.engine)
            install_idle_ping(db.engine)
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's session.remove().
    app.teardown_appcontext(end_request_transaction)

    from hilogistics import inputs

    inputs.install_converters(app)
    from hilogistics import pagememo

    pagememo.install(app)
    _register_blueprints(app)
    # First registered, last to run: compression sees the finished response.
    init_web_assets(app)
    _register_hooks(app)

    from hilogistics.errors import register_error_handlers

    register_error_handlers(app)

    from hilogistics.cli import hilo

    app.cli.add_command(hilo)
    if not (app.testing or app.debug):
        # Everything loaded so far lives as long as the process: move it out of the garbage
        # collector's sight, so that its full passes no longer walk it (0.8 → 0.4 ms of GC per
        # stock-on-hand request measured). Not in tests, where apps come and go.
        gc.freeze()
        _freeze_after_warm_up(app, int(app.config["GC_FREEZE_AFTER_REQUESTS"]))
    return app


def _freeze_after_warm_up(app: Flask, requests: int) -> None:
    """After ``requests`` requests, collect once and freeze what the warm-up built (0: never).

    The first requests fill caches that live as long as the process (compiled statements and
    templates, translations, kept pages): left in sight, every full pass of the collector
    walked them again, about 20 ms every second or two in a busy worker (measured under 8
    writers), which a request holding SQLite's write lock made every writer wait for. At most
    what exists at the freeze can stay unfreed, once: a frozen object is never collected.
    """
    if requests <= 0:
        return
    served = [0]

    @app.teardown_request
    def _count(_error: BaseException | None) -> None:
        served[0] += 1
        if served[0] == requests:
            gc.collect()
            gc.freeze()


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_object(default_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("HILOGISTICS")
    if test_config is not None:
        app.config.update(test_config)

    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config)
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not (app.debug or app.testing):
        key = str(app.config["SECRET_KEY"])
        if len(key) < _MIN_SECRET_LENGTH or key.lower() in _WEAK_SECRETS:
            raise RuntimeError(
                "SECRET_KEY is too weak for production: use at least 32 random characters, "
                "or unset it to have one generated in the instance folder."
            )


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance: Path) -> str:
    """Read the generated key, or create it (mode 0600) on first run."""
    path = instance / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _init_babel(app: Flask) -> None:
    from hilogistics.i18n import bound_gettext, html_lang, select_locale

    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_context() -> dict[str, Any]:
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        # The template's _() and ngettext() on the catalogue found once for this render.
        return {"current_locale": locale, "html_lang": html_lang(locale), **bound_gettext()}


def _init_login(app: Flask) -> None:
    from hilogistics.auth.services import load_session_user

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(load_session_user)


def _register_blueprints(app: Flask) -> None:
    from hilogistics.auth.views import bp as auth_bp
    from hilogistics.camps.views import bp as camps_bp
    from hilogistics.catalogue.views import bp as catalogue_bp
    from hilogistics.counts.views import bp as counts_bp
    from hilogistics.distributions.views import bp as distributions_bp
    from hilogistics.history.views import bp as history_bp
    from hilogistics.locations.views import bp as locations_bp
    from hilogistics.main.views import bp as main_bp
    from hilogistics.registry.views import bp as registry_bp
    from hilogistics.reports.views import bp as reports_bp
    from hilogistics.requisitions.views import bp as requisitions_bp
    from hilogistics.shipments.views import bp as shipments_bp
    from hilogistics.stock.views import bp as stock_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(locations_bp)
    app.register_blueprint(distributions_bp)
    app.register_blueprint(stock_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(shipments_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(counts_bp)
    app.register_blueprint(history_bp)
    app.register_blueprint(camps_bp)
    app.register_blueprint(requisitions_bp)


def _register_hooks(app: Flask) -> None:
    from hilogistics import inputs
    from hilogistics.auth.access import enforce_policy
    from hilogistics.auth.sessions import check_timeouts

    inputs.register(app)

    @app.before_request
    def _before() -> Response | None:
        if request.endpoint == "static":
            return None  # assets are public; skip loading the user for each of them
        check_timeouts()
        return enforce_policy(app)

    @app.context_processor
    def _shell_context() -> dict[str, Any]:
        from flask_login import current_user

        from hilogistics.forms import page_errors
        from hilogistics.i18n import localised_setting
        from hilogistics.main.navigation import menu_for, menu_html, request_badges, shell_urls

        # The user itself, not the proxy: the menu reads its role once per entry.
        user = current_user._get_current_object()
        menu = menu_for(user) if user.is_authenticated else []
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            # base.html's language switch is a plain form (csrf_token()): no form object needed.
            "menu": menu,
            # Called by base.html only when it draws the menu: its entries with today's counts.
            "menu_html": lambda: menu_html(user, locale, request_badges(user)),
            # base.html's own addresses (stylesheets, home, search, language, sign out).
            "shell_urls": shell_urls(),
            "languages": app.config["LANGUAGES"],
            "organisation_name": localised_setting(app.config["ORGANISATION_NAME"], locale),
            "partner_name": localised_setting(app.config["PARTNER_NAME"], locale),
            # Read when base.html renders, after the view has put its errors on the forms.
            "page_errors": page_errors,
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            # Pages show stock and names: never keep them in a shared computer's cache.
            headers.setdefault("Cache-Control", "no-store")
        return response
