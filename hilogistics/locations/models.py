"""Location model: a warehouse, centre, school or camp, or a virtual end of the ledger."""

import enum

from sqlalchemy import Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column

from hilogistics.db import db, str_enum


class LocationKind(enum.StrEnum):
    """What a location is; the last five are virtual ends of the ledger, not places."""

    WAREHOUSE = "warehouse"
    CENTRE = "centre"
    SCHOOL = "school"
    CAMP = "camp"
    SUPPLIER = "supplier"
    TRANSIT = "transit"
    RECIPIENTS = "recipients"
    LOSS = "loss"
    COUNT = "count"

    @property
    def is_physical(self) -> bool:
        """True for places that hold stock (never below zero)."""
        return self in PHYSICAL_KINDS


PHYSICAL_KINDS = frozenset(
    {LocationKind.WAREHOUSE, LocationKind.CENTRE, LocationKind.SCHOOL, LocationKind.CAMP}
)


class Location(db.Model):
    """A place stock can be, named in English and Korean (names are data, not interface text)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind))
    name: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def display_name(self, locale: str | None = None) -> str:
        """The name in the reader's language when there is one, else English."""
        if locale and locale.startswith("ko") and self.name_ko:
            return self.name_ko
        return self.name

    def __repr__(self) -> str:
        return f"<Location {self.code}>"
