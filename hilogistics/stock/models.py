"""Grants, lots, stock transactions and movements (append-only), balances and reorder levels."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item, localised
from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document


class Grant(db.Model):
    """A donor's grant; lots carry it so reports can answer "what happened to what we funded"."""

    __tablename__ = "grants"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    donor: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


# Unique regardless of case, in the database: two requests at once cannot both pass the check.
Index("uq_grants_lower_code", func.lower(Grant.code), unique=True)


class Lot(db.Model):
    """A batch of one item: lot code, expiry, serial number (one lot per serial) and grant.

    Items tracked by neither lot nor serial still get one lot per grant (code ""), so that every
    balance and movement names a lot and the grant rides along.
    """

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("item_id", "identity", name="uq_lots_item_id_identity"),
        UniqueConstraint("item_id", "serial", name="uq_lots_item_id_serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), default="", server_default="")
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    serial: Mapped[str | None] = mapped_column(String(64))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"), index=True)
    # code, serial and grant joined: unique per item, so a lot is found again, never duplicated.
    identity: Mapped[str] = mapped_column(String(200))

    item: Mapped[Item] = relationship()
    grant: Mapped[Grant | None] = relationship(lazy="joined")

    @staticmethod
    def make_identity(code: str, serial: str | None, grant_id: int | None) -> str:
        """The unique key of a lot within its item."""
        return f"{code}|{serial or ''}|{grant_id or ''}"

    @property
    def label(self) -> str:
        """What people call this lot: serial, lot code, or a dash."""
        return self.serial or self.code or "—"


class TransactionKind(enum.StrEnum):
    """The business event a stock transaction records."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    OPENING = "opening"


class AdjustmentDirection(enum.StrEnum):
    """Whether a reason takes stock out of a place, brings it in, or either."""

    OUT = "out"
    IN = "in"
    BOTH = "both"


class AdjustmentReason(db.Model):
    """Why stock was adjusted (damaged, expired, lost, stolen, found, data-entry correction)."""

    __tablename__ = "adjustment_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str | None] = mapped_column(String(120))
    direction: Mapped[AdjustmentDirection] = mapped_column(str_enum(AdjustmentDirection))
    # Where the other side of the movement goes: the loss or the count location.
    counterpart_code: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def display_name(self, locale: str | None = None) -> str:
        """Name in the reader's language."""
        return localised(self.name, self.name_ko, self.name_fr, locale)


Index("uq_adjustment_reasons_lower_code", func.lower(AdjustmentReason.code), unique=True)


class StockTransaction(db.Model):
    """One business event; its movements change stock. Never edited: reversed instead."""

    __tablename__ = "stock_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One per submitted form or API call: a replay finds this row instead of posting again.
    operation_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TransactionKind] = mapped_column(str_enum(TransactionKind))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The physical location the event is about (receiving warehouse, adjusted place).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    supplier: Mapped[str | None] = mapped_column(String(200))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"))
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment_reasons.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_transactions.id"), unique=True
    )
    # The numbered document (shipment, distribution, count…) this transaction posts, if any.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)

    actor: Mapped[User | None] = relationship(lazy="joined")
    location: Mapped[Location | None] = relationship(lazy="joined")
    grant: Mapped[Grant | None] = relationship()
    reason: Mapped[AdjustmentReason | None] = relationship()
    document: Mapped[Document | None] = relationship()
    reverses: Mapped["StockTransaction | None"] = relationship(
        remote_side=[id], back_populates="reversed_by"
    )
    reversed_by: Mapped["StockTransaction | None"] = relationship(back_populates="reverses")
    movements: Mapped[list["Movement"]] = relationship(
        back_populates="transaction", order_by="Movement.id"
    )


class Movement(db.Model):
    """One line of a transaction: quantity of an item lot from one location to another.

    Append-only: a database trigger rejects UPDATE and DELETE.
    """

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_ends"),
        Index("ix_movements_item_to_date", "item_id", "to_location_id", "occurred_on", "id"),
        Index("ix_movements_item_from_date", "item_id", "from_location_id", "occurred_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("stock_transactions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # Copied from the transaction so that stock cards read one index, in date order.
    occurred_on: Mapped[date] = mapped_column(Date)

    transaction: Mapped[StockTransaction] = relationship(back_populates="movements")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])


class Balance(db.Model):
    """Quantity on hand (and reserved) of one lot at one location, kept by the ledger."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("location_id", "item_id", "lot_id", name="uq_balances_location_item_lot"),
        CheckConstraint("NOT is_guarded OR quantity >= 0", name="guarded_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_balances_item_location", "item_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Copied from the location's kind: physical places and transit may never go below zero.
    is_guarded: Mapped[bool] = mapped_column(Boolean)

    location: Mapped[Location] = relationship()
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot] = relationship()

    @property
    def available(self) -> int:
        """On hand less what approved requests have reserved."""
        return self.quantity - self.reserved


class ReorderLevel(db.Model):
    """Minimum and maximum stock of an item wanted at a location."""

    __tablename__ = "reorder_levels"
    __table_args__ = (
        UniqueConstraint("location_id", "item_id", name="uq_reorder_levels_location_item"),
        CheckConstraint("minimum >= 0", name="minimum_not_negative"),
        CheckConstraint("maximum IS NULL OR maximum >= minimum", name="maximum_above_minimum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    minimum: Mapped[int] = mapped_column(Integer, default=0)
    maximum: Mapped[int | None] = mapped_column(Integer)

    item: Mapped[Item] = relationship()
    location: Mapped[Location] = relationship()
