"""A mobile camp: a numbered document tied one to one to the temporary place it opens.

The place (a Location of kind ``camp``) carries the names, the province and the supplying
warehouse, as every place does; the camp adds the village or site, the dates, the team and
its life: open (loaded, distributing), closing (counted, emptied back to its warehouse; no
distribution any more), closed (its place is inactive: nothing moves there again).
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.counts.models import StockCount
from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document
from hilogistics.shipments.models import Shipment


class CampStatus(enum.StrEnum):
    """Open (loads and distributions), closing (count and return), closed (nothing more)."""

    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Camp(db.Model):
    """A mobile rehabilitation camp (``CMP-2026-00003``) and the place it opened."""

    __tablename__ = "camps"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_camps_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), unique=True)
    village: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The staff going, as the mission order names them: partner staff and drivers have no
    # account here, so the team is text, not a list of users.
    team: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[CampStatus] = mapped_column(str_enum(CampStatus))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The closing count (the latest one: an abandoned count is replaced by a new one).
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_counts.id"))
    # The shipment taking what remained back to the supplying warehouse, if anything did.
    return_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The opening form's one-time key: the same form sent twice opens one camp.
    opened_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    document: Mapped[Document] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closing_by: Mapped[User | None] = relationship(foreign_keys=[closing_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    count: Mapped[StockCount | None] = relationship()
    return_shipment: Mapped[Shipment | None] = relationship()

    @property
    def number(self) -> str:
        """The document number, ``CMP-2026-00003``."""
        return self.document.number

    def display_name(self, locale: str | None = None) -> str:
        """The camp's name in the reader's language (its place's name)."""
        return self.location.display_name(locale)


__all__ = ["Camp", "CampStatus"]
