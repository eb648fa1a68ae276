"""Every domain's models, imported in one place so Alembic autogenerate sees all tables."""

from hilogistics.auth.models import LoginThrottle, User
from hilogistics.locations.models import Location

__all__ = ["Location", "LoginThrottle", "User"]
