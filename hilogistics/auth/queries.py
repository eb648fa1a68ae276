"""Read-only account queries."""

from sqlalchemy import Select, select

from hilogistics.auth.models import User
from hilogistics.db import matches_text


def users_query(search: str | None = None) -> Select[tuple[User]]:
    """All accounts, active first, then by username; optionally filtered by name."""
    stmt = select(User).order_by(User.is_active.desc(), User.username)
    if search and search.strip():
        stmt = stmt.where(matches_text((User.username, User.display_name), search.strip()))
    return stmt
