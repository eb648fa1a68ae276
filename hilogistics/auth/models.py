"""User accounts and the database-kept login throttle."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location


class Role(enum.StrEnum):
    """What a user may do; see DESIGN.md section 4."""

    ADMIN = "admin"
    LOGISTICS = "logistics"
    TECHNICIAN = "technician"
    VIEWER = "viewer"


class User(UserMixin, db.Model):
    """A person who logs in; a technician belongs to exactly one location."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role <> 'technician' OR location_id IS NOT NULL", name="technician_has_location"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so that logins are case-insensitive and unique ignoring case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    locale: Mapped[str | None] = mapped_column(String(8))
    # Bumped by logout, password change and deactivation: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        """Hash and store a new password (scrypt)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Session identity: the id and the session version, so a bumped version logs out."""
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


# Usernames are stored lower-cased; the index makes the database hold to it under races too.
Index("uq_users_lower_username", func.lower(User.username), unique=True)


class LoginThrottle(db.Model):
    """Password failures, locks and known addresses per key (see hilogistics.auth.throttle)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
