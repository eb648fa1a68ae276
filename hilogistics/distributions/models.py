"""Distributions: a numbered slip (``DIS-2026-00042``), its lines and its history.

A distribution takes stock from a physical place to the virtual ``recipients`` location
through ``ledger.post`` (kind ``distribution``, or ``consumption`` for workshop use); every
transaction it posts names its document. A correction keeps the slip and its number: it posts
a reversal and the corrected lines, and the lines of the new revision become the current ones.
Recipients are named by a code, never by a name (beneficiaries' privacy).
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
from hilogistics.stock.models import Lot, StockTransaction


class RecipientType(enum.StrEnum):
    """Who received: one patient's fitting, a class or school, a camp session, other, or no one."""

    PATIENT = "patient"
    CLASS = "class"
    CAMP_SESSION = "camp_session"
    OTHER = "other"
    # Workshop use (plaster, resin, glue used in a week): consumption that serves no one person.
    WORKSHOP = "workshop"

    @property
    def is_group(self) -> bool:
        """A class or a camp session: head-counts by sex and age band are recorded."""
        return self in (RecipientType.CLASS, RecipientType.CAMP_SESSION)


class FittingService(enum.StrEnum):
    """What a fitting was, for orthopaedic items."""

    NEW = "new"
    REPAIR = "repair"
    REPLACEMENT = "replacement"


class Side(enum.StrEnum):
    """The side a fitting is for."""

    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"
    NOT_APPLICABLE = "not_applicable"


class DistributionStatus(enum.StrEnum):
    """Where the paper slip is: issued (not back yet), or signed and returned."""

    ISSUED = "issued"
    RETURNED = "returned"


class PreprintedStatus(enum.StrEnum):
    """A pre-printed slip's number: waiting to be keyed, keyed as a distribution, or voided."""

    RESERVED = "reserved"
    USED = "used"
    VOIDED = "voided"


class DistributionAction(enum.StrEnum):
    """What a step of a distribution's history did."""

    RECORDED = "recorded"
    RETURNED = "returned"
    CORRECTED = "corrected"


# Head-count columns: sex × age band (children 0–17, adults 18–59, older people 60+).
HEADCOUNT_FIELDS = (
    "girls",
    "boys",
    "women",
    "men",
    "older_women",
    "older_men",
)


class Distribution(db.Model):
    """One hand-out at a place, numbered as a slip; lines in DistributionLine."""

    __tablename__ = "distributions"
    __table_args__ = (
        CheckConstraint("revision > 0", name="revision_positive"),
        CheckConstraint(
            " AND ".join(f"{name} >= 0" for name in HEADCOUNT_FIELDS), name="headcounts_positive"
        ),
        Index("ix_distributions_location_on", "location_id", "distributed_on"),
        Index("ix_distributions_status_location_on", "status", "location_id", "distributed_on"),
        # Slips not returned at every place, oldest first: read in index order, no sort.
        Index("ix_distributions_status_on", "status", "distributed_on", "id"),
        Index("ix_distributions_recipient_ref", "recipient_ref"),
        # Reports and the home page's figures for the month: a period's slips at every place.
        Index("ix_distributions_on", "distributed_on", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    distributed_on: Mapped[date] = mapped_column(Date)
    recipient_type: Mapped[RecipientType] = mapped_column(str_enum(RecipientType))
    # A code (BEN-0042, a class's code), never a name: see RECIPIENT_REFERENCE_PATTERN.
    recipient_ref: Mapped[str] = mapped_column(String(40), default="", server_default="")
    service: Mapped[FittingService | None] = mapped_column(str_enum(FittingService))
    side: Mapped[Side | None] = mapped_column(str_enum(Side))
    girls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    boys: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    women: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    men: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    older_women: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    older_men: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[DistributionStatus] = mapped_column(str_enum(DistributionStatus))
    # The current lines are those of this revision; a correction adds the next one.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    returned_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship(lazy="joined")
    location: Mapped[Location] = relationship()
    created_by: Mapped[User | None] = relationship()
    all_lines: Mapped[list["DistributionLine"]] = relationship(
        back_populates="distribution",
        order_by="(DistributionLine.revision, DistributionLine.position)",
        cascade="all, delete-orphan",
    )
    events: Mapped[list["DistributionEvent"]] = relationship(
        back_populates="distribution", order_by="DistributionEvent.id"
    )

    @property
    def number(self) -> str:
        """The slip number, ``DIS-2026-00042``."""
        return self.document.number

    @property
    def lines(self) -> list["DistributionLine"]:
        """The lines of the current revision."""
        return [line for line in self.all_lines if line.revision == self.revision]

    @property
    def headcount(self) -> int:
        """People served: the head-counts of a group, one for a person, none for workshop use."""
        if self.recipient_type.is_group:
            return sum(getattr(self, name) for name in HEADCOUNT_FIELDS)
        return 0 if self.recipient_type is RecipientType.WORKSHOP else 1

    def __repr__(self) -> str:
        return f"<Distribution {self.document.number if self.document else self.id}>"


class DistributionLine(db.Model):
    """An item lot and quantity handed out, in one revision of the slip."""

    __tablename__ = "distribution_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_distribution_lines_distribution", "distribution_id", "revision", "position"),
        # Recall: every distribution of a lot, read from the index alone on the lines' side.
        Index("ix_distribution_lines_lot_distribution", "lot_id", "distribution_id", "revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    revision: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    distribution: Mapped[Distribution] = relationship(back_populates="all_lines")
    item: Mapped[Item] = relationship(lazy="joined")
    lot: Mapped[Lot] = relationship(lazy="joined")


class DistributionEvent(db.Model):
    """One step of a slip's history: who did what, when, and the transactions it posted."""

    __tablename__ = "distribution_events"
    __table_args__ = (Index("ix_distribution_events_distribution", "distribution_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"))
    action: Mapped[DistributionAction] = mapped_column(str_enum(DistributionAction))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The distribution (or corrected distribution) posted, and a correction's reversal.
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"))
    reversal_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"))

    distribution: Mapped[Distribution] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")
    transaction: Mapped[StockTransaction | None] = relationship(foreign_keys=[transaction_id])
    reversal_transaction: Mapped[StockTransaction | None] = relationship(
        foreign_keys=[reversal_transaction_id]
    )


class PreprintedSlip(db.Model):
    """A slip number reserved in the registry and printed blank for a planned session.

    Filled in by hand at the session; when it is keyed, the distribution takes over this
    number's document, so the paper and the database carry the same number. A number never
    used is voided, so that the series has no unexplained gap.
    """

    __tablename__ = "preprinted_slips"
    __table_args__ = (
        # The form that reserved a batch, sent twice, finds its batch instead of a second one.
        UniqueConstraint("batch_key", "position", name="uq_preprinted_slips_batch_position"),
        CheckConstraint("position > 0", name="position_positive"),
        Index("ix_preprinted_slips_status_location_on", "status", "location_id", "planned_on"),
        Index("ix_preprinted_slips_location_on", "location_id", "planned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    planned_on: Mapped[date] = mapped_column(Date)
    batch_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[PreprintedStatus] = mapped_column(str_enum(PreprintedStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    document: Mapped[Document] = relationship(lazy="joined")
    location: Mapped[Location] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def number(self) -> str:
        """The slip number printed on the blank slip."""
        return self.document.number


__all__ = [
    "HEADCOUNT_FIELDS",
    "Distribution",
    "DistributionAction",
    "DistributionEvent",
    "DistributionLine",
    "DistributionStatus",
    "FittingService",
    "PreprintedSlip",
    "PreprintedStatus",
    "RecipientType",
    "Side",
]
