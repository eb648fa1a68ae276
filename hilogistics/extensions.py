"""Flask extensions, created unbound and attached to the app in create_app()."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from hilogistics.db import db

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Batch mode lets Alembic alter SQLite tables (it rebuilds them); harmless on PostgreSQL.
migrate = Migrate(render_as_batch=True, compare_type=True)
