"""Locations (physical places and the virtual ends of the ledger) and provinces."""

import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.db import db, localised, str_enum


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

    @property
    def is_guarded(self) -> bool:
        """True where a balance may never go below zero: physical places and transit."""
        return self in PHYSICAL_KINDS or self is LocationKind.TRANSIT


PHYSICAL_KINDS = frozenset(
    {LocationKind.WAREHOUSE, LocationKind.CENTRE, LocationKind.SCHOOL, LocationKind.CAMP}
)
VIRTUAL_KINDS = frozenset(LocationKind) - PHYSICAL_KINDS

# Months of stock a requisition from a place aims for (``Location.target_months``).
DEFAULT_TARGET_MONTHS = 3
MAX_TARGET_MONTHS = 24


class Province(db.Model):
    """The capital and the provinces where the programme works (an editable list)."""

    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str | None] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def display_name(self, locale: str | None = None) -> str:
        """Name in the reader's language (Korean, or French when it has one), else English."""
        return localised(self.name, self.name_ko, self.name_fr, locale)


# Unique regardless of case, in the database: two requests at once cannot both pass the check.
Index("uq_provinces_lower_code", func.lower(Province.code), unique=True)


class Location(db.Model):
    """A place stock can be, named in English, Korean and maybe French (data, not UI text)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind))
    name: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    # The warehouse that normally supplies this place.
    supplied_by_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    # How many months of stock a requisition aims for (more for a remote camp).
    target_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_TARGET_MONTHS, server_default=str(DEFAULT_TARGET_MONTHS)
    )

    province: Mapped[Province | None] = relationship(lazy="joined")
    supplied_by: Mapped["Location | None"] = relationship(remote_side=[id])

    @property
    def is_virtual(self) -> bool:
        """True for supplier, transit, recipients, loss and count."""
        return self.kind in VIRTUAL_KINDS

    def display_name(self, locale: str | None = None) -> str:
        """The name in the reader's language when there is one, else English."""
        return localised(self.name, self.name_ko, self.name_fr, locale)

    def __repr__(self) -> str:
        return f"<Location {self.code}>"


Index("uq_locations_lower_code", func.lower(Location.code), unique=True)
# Reports list places by name: read in this order, a page of the stock report over all places
# reads the first places' rows only, instead of sorting every row of every place.
Index("ix_locations_name", Location.name, Location.id)
