"""Requisitions (``REQ-2026-00001``), their lines with the suggestion figures, their history.

A requisition is raised for a place, saved as a draft, submitted (its lines and figures are then
frozen) and reviewed line by line by logistics. What is approved is reserved at the supplying
warehouse (``stock.ledger.reserve``; one reservation per line, holder ``REQ-2026-00001/3``) and
leaves on shipments whose lines name that reservation, so that the dispatch turns it into
movements. What is neither shipped nor cancelled is the backorder (still reserved).
"""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document
from hilogistics.stock.models import Reservation


def one_decimal(numerator: int, denominator: int) -> Decimal:
    """``numerator`` ÷ ``denominator`` to one decimal, half up, in integers.

    The months-of-stock report works the same in SQL (``suggestions.one_decimal_sql``), so that the
    requisition form, its saved lines and the report show the same figure (a float printed
    with ``%.1f`` rounds 0.15 down to 0.1, the report up to 0.2).
    """
    return Decimal((numerator * 20 + denominator) // (denominator * 2)) / 10


def rate_shown(total: int, months: int | None) -> Decimal | None:
    """Average used per complete month, to one decimal (None when no complete month)."""
    return one_decimal(total, months) if months else None


def months_shown(on_hand: int, total: int, months: int | None) -> Decimal | None:
    """Months ``on_hand`` lasts at ``total`` used over ``months``, to one decimal (None: no use)."""
    return one_decimal(on_hand * months, total) if months and total else None


class RequisitionStatus(enum.StrEnum):
    """Where a requisition is: draft → submitted → approved → closed, or rejected, or cancelled.

    *approved*: reviewed with something approved (being fulfilled); *rejected*: reviewed with
    nothing approved; *closed*: all approved received or cancelled.
    """

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class LineDecision(enum.StrEnum):
    """The review of one line: all approved, less approved (with a reason), or rejected."""

    APPROVED = "approved"
    REDUCED = "reduced"
    REJECTED = "rejected"


class RequisitionAction(enum.StrEnum):
    """What a step of a requisition's history did."""

    CREATED = "created"
    EDITED = "edited"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    SHIPMENT = "shipment"
    BACKORDER_CANCELLED = "backorder_cancelled"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Requisition(db.Model):
    """A place's request for stock from its supplying warehouse."""

    __tablename__ = "requisitions"
    __table_args__ = (
        CheckConstraint("target_months > 0", name="target_months_positive"),
        Index("ix_requisitions_status_submitted", "status", "submitted_at"),
        Index("ix_requisitions_location_status", "location_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    status: Mapped[RequisitionStatus] = mapped_column(str_enum(RequisitionStatus))
    # The requesting place and the warehouse that supplies it (copied when it is raised).
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    # The place's target months of stock when the suggestions were computed.
    target_months: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Keyed by logistics from a paper form the place sent (``created_by`` says who keyed it).
    is_from_paper: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "<actor id>:<the create form's one-time key>": the same form sent twice makes one draft.
    created_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was cancelled (by whom: its history).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    document: Mapped[Document] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(foreign_keys=[location_id], lazy="joined")
    supplier: Mapped[Location | None] = relationship(foreign_keys=[supplier_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    lines: Mapped[list["RequisitionLine"]] = relationship(
        back_populates="requisition",
        order_by="RequisitionLine.position",
        cascade="all, delete-orphan",
    )
    events: Mapped[list["RequisitionEvent"]] = relationship(
        back_populates="requisition", order_by="RequisitionEvent.id"
    )

    @property
    def number(self) -> str:
        """The document number, ``REQ-2026-00001``."""
        return self.document.number

    def __repr__(self) -> str:
        return f"<Requisition {self.document.number if self.document else self.id}>"


class RequisitionLine(db.Model):
    """An item asked for, the figures beside it when it was keyed, and its review.

    ``approved`` is reserved at the supplier (``reservation``); ``cancelled`` of it was
    given up as a backorder, with a reason. The reservation holds approved − dispatched −
    cancelled.
    """

    __tablename__ = "requisition_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("approved >= 0 AND approved <= quantity", name="approved_within_quantity"),
        CheckConstraint(
            "cancelled >= 0 AND cancelled <= approved", name="cancelled_within_approved"
        ),
        Index("ix_requisition_lines_requisition_position", "requisition_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The suggestion figures at the place when the line was last saved (frozen at submission).
    on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    on_the_way: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Consumed over ``consumption_months`` complete months (NULL: no complete month yet).
    consumption_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consumption_months: Mapped[int | None] = mapped_column(Integer)
    suggested: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    minimum: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[LineDecision | None] = mapped_column(str_enum(LineDecision))
    approved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    review_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), unique=True)
    cancelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    requisition: Mapped[Requisition] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
    reservation: Mapped[Reservation | None] = relationship()

    @property
    def monthly_consumption(self) -> Decimal | None:
        """Average consumed per complete month, to one decimal (None: no complete month)."""
        return rate_shown(self.consumption_total, self.consumption_months)

    @property
    def months_left(self) -> Decimal | None:
        """Months the stock on hand lasts at that rate, to one decimal (None: nothing used)."""
        return months_shown(self.on_hand, self.consumption_total, self.consumption_months)


class RequisitionEvent(db.Model):
    """One step of a requisition's history: who did what, when, with a note."""

    __tablename__ = "requisition_events"
    __table_args__ = (Index("ix_requisition_events_requisition", "requisition_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"))
    action: Mapped[RequisitionAction] = mapped_column(str_enum(RequisitionAction))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The shipment a ``shipment`` step made.
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))

    requisition: Mapped[Requisition] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")


__all__ = [
    "LineDecision",
    "Requisition",
    "RequisitionAction",
    "RequisitionEvent",
    "RequisitionLine",
    "RequisitionStatus",
]
