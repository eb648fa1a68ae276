"""Shipments: inbound consignments and outbound dispatches, their lines and their history.

A shipment is a numbered document (``SHP-2026-00042``). Its stock effects are ledger
transactions that point to the same document (``stock_transactions.document_id``); the lines
keep what was sent and what became of it, the per-line remainder guarded in the database.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document
from hilogistics.stock.models import AdjustmentReason, Grant, Lot, StockTransaction


class ShipmentDirection(enum.StrEnum):
    """Inbound: a consignment from a supplier or donor; outbound: a dispatch between places."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ShipmentStatus(enum.StrEnum):
    """Where a shipment is in its life.

    Outbound: draft → dispatched → partly_received → received, or draft → cancelled, or
    dispatched → recalled. Inbound: draft (planned, expected) → partly_received → received,
    or draft → cancelled, or draft/partly_received → closed (the rest will not come).
    """

    DRAFT = "draft"
    DISPATCHED = "dispatched"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    RECALLED = "recalled"
    CANCELLED = "cancelled"
    CLOSED = "closed"


# Shipments that still expect goods at their destination.
AWAITING = (ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED)


class ShipmentAction(enum.StrEnum):
    """What a step of a shipment's history did."""

    CREATED = "created"
    EDITED = "edited"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    RECALLED = "recalled"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Shipment(db.Model):
    """One consignment in or dispatch out: header, carrier and dates; lines in ShipmentLine."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("origin_id <> destination_id", name="distinct_ends"),
        Index("ix_shipments_status_destination", "status", "destination_id"),
        Index("ix_shipments_origin_status", "origin_id", "status"),
        Index("ix_shipments_direction_status_expected", "direction", "status", "expected_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    direction: Mapped[ShipmentDirection] = mapped_column(str_enum(ShipmentDirection))
    status: Mapped[ShipmentStatus] = mapped_column(str_enum(ShipmentStatus))
    # Inbound: the SUPPLIER virtual location; outbound: a physical place.
    origin_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    destination_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # The supplier or donor by name (inbound), as receipts record it.
    supplier: Mapped[str] = mapped_column(String(200), default="", server_default="")
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"), index=True)
    # The supplier's waybill or consignment number, or our paper waybill's.
    reference: Mapped[str] = mapped_column(String(120), default="", server_default="")
    carrier: Mapped[str] = mapped_column(String(120), default="", server_default="")
    vehicle: Mapped[str] = mapped_column(String(60), default="", server_default="")
    driver: Mapped[str] = mapped_column(String(120), default="", server_default="")
    expected_on: Mapped[date | None] = mapped_column(Date)
    dispatched_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The date of the receiving event that completed it (or of the last one so far).
    received_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Why it was cancelled, recalled or closed.
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship(lazy="joined")
    origin: Mapped[Location] = relationship(foreign_keys=[origin_id])
    destination: Mapped[Location] = relationship(foreign_keys=[destination_id])
    grant: Mapped[Grant | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["ShipmentLine"]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.position", cascade="all, delete-orphan"
    )
    events: Mapped[list["ShipmentEvent"]] = relationship(
        back_populates="shipment", order_by="ShipmentEvent.id"
    )

    @property
    def number(self) -> str:
        """The document number, ``SHP-2026-00042``."""
        return self.document.number

    @property
    def is_inbound(self) -> bool:
        """True for a consignment from a supplier or donor."""
        return self.direction is ShipmentDirection.INBOUND

    def __repr__(self) -> str:
        return f"<Shipment {self.document.number if self.document else self.id}>"


class ShipmentLine(db.Model):
    """An item (and lot) sent or expected, and what became of it at the destination.

    ``quantity`` is planned in a draft and frozen at dispatch. ``received`` arrived;
    ``damaged`` and ``lost`` were written off (to the loss location). The database refuses
    more than was sent: receiving services add with ``UPDATE … WHERE received + damaged +
    lost + n <= quantity``, and the CHECK backs it.
    """

    __tablename__ = "shipment_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "received >= 0 AND damaged >= 0 AND lost >= 0", name="outcomes_not_negative"
        ),
        CheckConstraint("received + damaged + lost <= quantity", name="not_above_quantity"),
        Index("ix_shipment_lines_shipment_position", "shipment_id", "position"),
        Index("ix_shipment_lines_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    # Outbound: the lot taken (required at dispatch). Inbound: the lot first received.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    # Inbound plans: the lot and expiry the packing list announces (the lot may not exist yet).
    lot_code: Mapped[str] = mapped_column(String(64), default="", server_default="")
    expires_on: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    damaged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lost: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Outbound lines made from a requisition: the reservation at the origin the dispatch fulfils.
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
    lot: Mapped[Lot | None] = relationship(lazy="joined")

    @property
    def remaining(self) -> int:
        """What is neither received nor written off yet."""
        return self.quantity - self.received - self.damaged - self.lost


class ShipmentEvent(db.Model):
    """One step of a shipment's history: who did what, when, with the transactions it posted."""

    __tablename__ = "shipment_events"
    __table_args__ = (Index("ix_shipment_events_shipment", "shipment_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    action: Mapped[ShipmentAction] = mapped_column(str_enum(ShipmentAction))
    status: Mapped[ShipmentStatus] = mapped_column(str_enum(ShipmentStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The business date of the step (dispatch date, date goods arrived).
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the step posted: dispatch, arrival, recall or receipt; and the write-off, if any.
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"))
    loss_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
    transaction: Mapped[StockTransaction | None] = relationship(foreign_keys=[transaction_id])
    loss_transaction: Mapped[StockTransaction | None] = relationship(
        foreign_keys=[loss_transaction_id]
    )
    # A consignment's shortfalls and surpluses found at this step (receiving events only).
    discrepancies: Mapped[list["ShipmentDiscrepancy"]] = relationship(
        order_by="ShipmentDiscrepancy.id", viewonly=True
    )


class DiscrepancyKind(enum.StrEnum):
    """What a consignment's receiving event found that the ledger does not show."""

    SHORT = "short"  # reported short: it will not come (the line expects no more of it)
    SURPLUS = "surplus"  # more arrived than planned: the line's quantity was raised


class ShipmentDiscrepancy(db.Model):
    """A shortage or surplus on a consignment's line at one receiving event, with its reason.

    A consignment's shortfall moves no stock (the goods were never ours) and its surplus is
    posted as received; both are kept here so that the goods-received note can show them.
    """

    __tablename__ = "shipment_discrepancies"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_shipment_discrepancies_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("shipment_events.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("shipment_lines.id"))
    kind: Mapped[DiscrepancyKind] = mapped_column(str_enum(DiscrepancyKind))
    quantity: Mapped[int] = mapped_column(Integer)
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("adjustment_reasons.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    line: Mapped[ShipmentLine] = relationship(lazy="joined")
    reason: Mapped[AdjustmentReason | None] = relationship(lazy="joined")


class ShipmentSubmission(db.Model):
    """The create form that made a draft or plan, by its one-time key (DESIGN.md section 2b).

    A draft posts no transaction, so the ledger's operation keys cannot catch a create form
    sent twice: this row does. Unique per actor and key, it makes the second submission find
    the first draft (same content) or be refused (other content) instead of making another.
    """

    __tablename__ = "shipment_submissions"
    __table_args__ = (UniqueConstraint("actor_key", "operation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), unique=True)
    # The actor's id, 0 for the system (NULLs would be distinct in the UNIQUE constraint).
    actor_key: Mapped[int] = mapped_column(Integer)
    operation_key: Mapped[str] = mapped_column(String(64))
    # sha256 of what was asked (places, header, lines), as the ledger's replays compare.
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shipment: Mapped[Shipment] = relationship()


__all__ = [
    "AWAITING",
    "DiscrepancyKind",
    "ShipmentDiscrepancy",
    "Shipment",
    "ShipmentAction",
    "ShipmentDirection",
    "ShipmentEvent",
    "ShipmentLine",
    "ShipmentStatus",
    "ShipmentSubmission",
]
