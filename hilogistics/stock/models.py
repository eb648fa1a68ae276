"""Grants, lots, stock transactions and movements (append-only), balances, reorder levels.

Balances are kept per lot (``balances``) and per item (``item_balances``, with what the
``reservations`` hold) at each location.
"""

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
from hilogistics.catalogue.models import Item
from hilogistics.db import UTCDateTime, db, localised, str_enum, utcnow
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
    # Serial lots only: the guarded place (physical or transit) that holds the unit, NULL while
    # it is outside (supplier, recipients, loss, count). post() moves it with a guarded UPDATE
    # (WHERE at_location_id IS the expected place), so one serial is never in two places.
    at_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))

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


class LotExpiryCorrection(db.Model):
    """A lot's expiry date corrected by logistics: the old and new dates, why, who and when."""

    __tablename__ = "lot_expiry_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    old_expires_on: Mapped[date | None] = mapped_column(Date)
    new_expires_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # NULL: the system (command line, scripts).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lot: Mapped[Lot] = relationship()
    actor: Mapped[User | None] = relationship(lazy="joined")


class TransactionKind(enum.StrEnum):
    """The business event a stock transaction records."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    OPENING = "opening"
    DISPATCH = "dispatch"
    ARRIVAL = "arrival"
    TRANSIT_LOSS = "transit_loss"
    RECALL = "recall"
    DISTRIBUTION = "distribution"
    CONSUMPTION = "consumption"
    COUNT = "count"


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
    __table_args__ = (
        UniqueConstraint(
            "actor_key", "operation_key", name="uq_stock_transactions_actor_key_operation_key"
        ),
        CheckConstraint("actor_key = COALESCE(actor_id, 0)", name="actor_key_matches"),
        # The transaction list finds a reference by any part of it (ILIKE '%…%'): on PostgreSQL
        # a trigram index answers that without reading every transaction; SQLite gets a plain
        # index, which it may use for the other lookups by reference.
        Index(
            "ix_stock_transactions_reference_trgm",
            "reference",
            postgresql_using="gin",
            postgresql_ops={"reference": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One per submitted form or API call and actor: a replay finds this row instead of posting.
    operation_key: Mapped[str] = mapped_column(String(64))
    # The actor's id, 0 for the system: NULLs are distinct in a UNIQUE constraint, so the key's
    # uniqueness per actor needs a column that is never NULL (a plain constraint, unlike an
    # expression index, survives SQLite table rebuilds and reflection).
    actor_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # sha256 of what was asked (kind, header, sorted lines): a replay with other content is
    # refused instead of answered with the first result. NULL on rows posted before it existed.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
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
    # Several reversals may undo one transaction, each some of its lines: the guard that no
    # line is undone twice is on the movements (``reverses_movement_id``, unique).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"), index=True)
    # The numbered document (shipment, distribution, count…) this transaction posts, if any.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)

    actor: Mapped[User | None] = relationship(lazy="joined")
    location: Mapped[Location | None] = relationship(lazy="joined")
    grant: Mapped[Grant | None] = relationship()
    reason: Mapped[AdjustmentReason | None] = relationship()
    document: Mapped[Document | None] = relationship()
    reverses: Mapped["StockTransaction | None"] = relationship(
        remote_side=[id], back_populates="reversals"
    )
    reversals: Mapped[list["StockTransaction"]] = relationship(
        back_populates="reverses", order_by="StockTransaction.id"
    )
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
        # Reports: every movement after a date (stock as of a past date), covering its reads;
        # a lot's movements from a date on (per grant).
        Index(
            "ix_movements_date_cover",
            "occurred_on",
            "item_id",
            "lot_id",
            "from_location_id",
            "to_location_id",
            "quantity",
        ),
        # Covering: the per-grant report sums its lots' movements per route from the index.
        Index(
            "ix_movements_lot_date",
            "lot_id",
            "occurred_on",
            "item_id",
            "from_location_id",
            "to_location_id",
            "quantity",
        ),
        # A place's consumption over months, all items at once (requisition suggestions).
        Index("ix_movements_from_date", "from_location_id", "occurred_on"),
        Index("ix_movements_to_item_date", "to_location_id", "item_id", "occurred_on"),
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
    # Why this line moved (a receipt's short or damaged line, a count difference): one list of
    # reasons, translated, shared with adjustments.
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment_reasons.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A reversal's line names the line it undoes. Unique: however many reversals run at once,
    # the database lets one line be undone once (NULLs, every other line, never clash).
    reverses_movement_id: Mapped[int | None] = mapped_column(
        ForeignKey("movements.id"), unique=True
    )

    transaction: Mapped[StockTransaction] = relationship(back_populates="movements")
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])


class Balance(db.Model):
    """Quantity on hand of one lot at one location, kept by the ledger."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("location_id", "item_id", "lot_id", name="uq_balances_location_item_lot"),
        CheckConstraint("NOT is_guarded OR quantity >= 0", name="guarded_not_negative"),
        Index("ix_balances_item_location", "item_id", "location_id"),
        # Lots expiring soon (home page, expiry report) or of a grant (per-grant report) →
        # where they lie and how many: read from the index alone.
        Index("ix_balances_lot_stock", "lot_id", "location_id", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Copied from the location's kind: physical places and transit may never go below zero.
    is_guarded: Mapped[bool] = mapped_column(Boolean)

    location: Mapped[Location] = relationship()
    item: Mapped[Item] = relationship()
    lot: Mapped[Lot] = relationship()


class ItemBalance(db.Model):
    """One item at one location over all its lots: on hand, and reserved for requisitions.

    ``on_hand`` is the sum of the place's lot balances, kept by ``post()`` in the same pass;
    ``reserved`` is kept by ``reserve()``/``release()``. At a guarded place the available
    quantity (on hand less reserved) never goes below zero: the database refuses it.
    """

    __tablename__ = "item_balances"
    __table_args__ = (
        UniqueConstraint("location_id", "item_id", name="uq_item_balances_location_item"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("NOT is_guarded OR on_hand - reserved >= 0", name="guarded_available"),
        Index("ix_item_balances_item_location", "item_id", "location_id"),
        # Covers the stock-on-hand count and per-item probes: no visit to the table's rows.
        Index(
            "ix_item_balances_location_item_stock", "location_id", "item_id", "on_hand", "reserved"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Copied from the location's kind, as on the lot balances.
    is_guarded: Mapped[bool] = mapped_column(Boolean)

    location: Mapped[Location] = relationship()
    item: Mapped[Item] = relationship()

    @property
    def available(self) -> int:
        """On hand less what approved requests have reserved."""
        return self.on_hand - self.reserved


class Reservation(db.Model):
    """What one holder (a requisition line, say "REQ-2026-00001/3") holds of an item at a place.

    Lowered by ``release()`` and by posts that fulfil it; a row at zero holds nothing.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        Index("ix_reservations_location_item", "location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location] = relationship()
    item: Mapped[Item] = relationship()


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


class StockSummary(db.Model):
    """Quantity on hand of one item of one grant at one location: its lot balances summed.

    Kept by the ledger in the same transaction as the balances (``stock/summaries.py``), so
    the stock report reads one row per (place, item, grant) instead of summing every lot
    balance of every place; ``check-ledger`` recomputes it from the balances. ``grant_key``
    is the lots' grant id, or 0 for lots of no grant: a key part must not be NULL, or two
    rows of no grant would not collide in the upsert.
    """

    __tablename__ = "stock_summaries"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    grant_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
