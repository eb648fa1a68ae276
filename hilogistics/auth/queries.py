"""Read-only account queries."""

from sqlalchemy import Select, func, or_, select

from hilogistics.auth.models import User


def users_query(search: str | None = None) -> Select[tuple[User]]:
    """All accounts, active first, then by username; optionally filtered by name."""
    stmt = select(User).order_by(User.is_active.desc(), User.username)
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            or_(User.username.like(pattern), func.lower(User.display_name).like(pattern))
        )
    return stmt
