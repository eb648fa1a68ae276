"""Physical counts (stock-takes) of a place, whole or by category, and their counted lines.

Opening a count freezes nothing: each line keeps the system balance of its item and lot at the
place at the moment it was keyed (``expected``), and the difference is counted against that,
so stock that moves while people count is never counted twice. Posting turns the differences
into one ``count`` transaction to or from the virtual COUNT location.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item
from hilogistics.db import UTCDateTime, db, str_enum, utcnow
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document
from hilogistics.stock.models import Lot, StockTransaction


class CountStatus(enum.StrEnum):
    """Open (counting), then posted (differences in the ledger) or abandoned (no effect)."""

    OPEN = "open"
    POSTED = "posted"
    ABANDONED = "abandoned"


# The categories a partial count covers; none: the whole place.
count_categories = Table(
    "stock_count_categories",
    db.metadata,
    Column("count_id", ForeignKey("stock_counts.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class StockCount(db.Model):
    """A physical count of one place (``CNT-2026-00007``): who opened, counted and posted it."""

    __tablename__ = "stock_counts"
    __table_args__ = (
        CheckConstraint("recount_quantity >= 0", name="recount_quantity_not_negative"),
        CheckConstraint("recount_percent >= 0", name="recount_percent_not_negative"),
        Index("ix_stock_counts_location_status", "location_id", "status"),
        Index("ix_stock_counts_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[CountStatus] = mapped_column(str_enum(CountStatus))
    # A line whose difference is above either threshold waits for a recount by someone else.
    recount_quantity: Mapped[int] = mapped_column(Integer)
    recount_percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    opened_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Posted: the business date of the differences, who approved them, the transaction.
    posted_on: Mapped[date | None] = mapped_column(Date)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The form's one-time key: a resend of a post without differences finds the count posted.
    posted_key: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("stock_transactions.id"))
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    document: Mapped[Document] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")
    categories: Mapped[list[Category]] = relationship(
        secondary=count_categories, order_by=Category.sort_order
    )
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    posted_by: Mapped[User | None] = relationship(foreign_keys=[posted_by_id])
    abandoned_by: Mapped[User | None] = relationship(foreign_keys=[abandoned_by_id])
    transaction: Mapped[StockTransaction | None] = relationship()
    lines: Mapped[list["StockCountLine"]] = relationship(
        back_populates="count", order_by="StockCountLine.id"
    )

    @property
    def number(self) -> str:
        """The document number, ``CNT-2026-00007``."""
        return self.document.number

    @property
    def is_whole_place(self) -> bool:
        """True when the count covers every category."""
        return not self.categories


class StockCountLine(db.Model):
    """What was counted of one item lot, against the system balance when it was keyed.

    A found lot the system did not know has no ``lot_id`` until the count is posted: its
    code and expiry wait here, so an abandoned count leaves no lot behind.
    """

    __tablename__ = "stock_count_lines"
    __table_args__ = (
        UniqueConstraint("count_id", "item_id", "lot_key", name="uq_stock_count_lines_lot"),
        CheckConstraint("counted >= 0 AND expected >= 0", name="counted_not_negative"),
        CheckConstraint(
            "recounted IS NULL OR (recounted >= 0 AND recount_expected >= 0)",
            name="recounted_not_negative",
        ),
        Index("ix_stock_count_lines_count", "count_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    # The lot's id, or "new:<CODE>" for a lot found that the system did not know.
    lot_key: Mapped[str] = mapped_column(String(80))
    lot_code: Mapped[str] = mapped_column(String(64), default="", server_default="")
    expires_on: Mapped[date | None] = mapped_column(Date)
    counted: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    needs_recount: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recounted: Mapped[int | None] = mapped_column(Integer)
    recount_expected: Mapped[int | None] = mapped_column(Integer)
    recounted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recounted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    count: Mapped[StockCount] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
    lot: Mapped[Lot | None] = relationship(lazy="joined")
    counted_by: Mapped[User | None] = relationship(foreign_keys=[counted_by_id])
    recounted_by: Mapped[User | None] = relationship(foreign_keys=[recounted_by_id])

    @property
    def final_counted(self) -> int:
        """The figure that stands: the recount when there is one, else the first count."""
        return self.recounted if self.recounted is not None else self.counted

    @property
    def final_expected(self) -> int:
        """The system balance when the figure that stands was keyed."""
        if self.recounted is not None and self.recount_expected is not None:
            return self.recount_expected
        return self.expected

    @property
    def difference(self) -> int:
        """Counted minus the system balance when counted: above 0 found, below 0 missing."""
        return self.final_counted - self.final_expected

    @property
    def awaiting_recount(self) -> bool:
        """True while the line's difference still waits for a second person's recount."""
        return self.needs_recount and self.recounted is None

    @property
    def lot_label(self) -> str:
        """The lot as people call it (serial, code), or the code of a found lot."""
        if self.lot is not None:
            return self.lot.label
        return self.lot_code or "—"


__all__ = ["CountStatus", "StockCount", "StockCountLine", "count_categories"]
