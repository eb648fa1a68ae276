"""Category (two levels at most), unit of issue and item models."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.db import UTCDateTime, db, localised, str_enum, utcnow


class Category(db.Model):
    """A family of goods (orthopaedic components, educational materials…), at most two levels."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str | None] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    parent: Mapped["Category | None"] = relationship(remote_side=[id], lazy="joined")

    def display_name(self, locale: str | None = None) -> str:
        """Name in the reader's language; a sub-category shows its parent first."""
        own = localised(self.name, self.name_ko, self.name_fr, locale)
        if self.parent is not None:
            return f"{self.parent.display_name(locale)} › {own}"
        return own


# Unique regardless of case, in the database: two requests at once cannot both pass the check.
Index("uq_categories_lower_code", func.lower(Category.code), unique=True)


class Unit(db.Model):
    """A unit of issue: piece, pair, roll, box, can, sheet, bag."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_ko: Mapped[str] = mapped_column(String(60))
    name_fr: Mapped[str | None] = mapped_column(String(60))

    def display_name(self, locale: str | None = None) -> str:
        """Name in the reader's language."""
        return localised(self.name, self.name_ko, self.name_fr, locale)


Index("uq_units_lower_code", func.lower(Unit.code), unique=True)


class ItemKind(enum.StrEnum):
    """Consumables are used up; equipment is serialised and kept."""

    CONSUMABLE = "consumable"
    EQUIPMENT = "equipment"


class Item(db.Model):
    """A catalogue entry counted in whole units of issue."""

    __tablename__ = "items"
    __table_args__ = (CheckConstraint("pack_size >= 1", name="pack_size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str | None] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    pack_size: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind), default=ItemKind.CONSUMABLE)
    tracks_expiry: Mapped[bool] = mapped_column(Boolean, default=False)
    tracks_serial: Mapped[bool] = mapped_column(Boolean, default=False)
    # Groups size and side variants, e.g. every SACH foot from 22 to 28, left and right.
    family: Mapped[str | None] = mapped_column(String(64), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")

    def display_name(self, locale: str | None = None) -> str:
        """Name in the reader's language."""
        return localised(self.name, self.name_ko, self.name_fr, locale)

    def __repr__(self) -> str:
        return f"<Item {self.code}>"


Index("uq_items_lower_code", func.lower(Item.code), unique=True)
