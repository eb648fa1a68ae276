"""The registry of numbered documents: one row per document, its number counters, its prints."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hilogistics.auth.models import User
from hilogistics.db import UTCDateTime, db, str_enum, utcnow


class DocumentType(enum.StrEnum):
    """What a numbered document is; its value is the prefix of the number (``SHP-2026-00042``).

    A new type changes the CHECK on ``documents.type`` and ``document_counters.type`` by hand
    in its migration, as a new transaction kind changes the one on ``stock_transactions``.
    """

    SHIPMENT = "SHP"
    DISTRIBUTION = "DIS"
    REQUISITION = "REQ"
    COUNT = "CNT"
    CAMP = "CMP"


SEQUENCE_DIGITS = 5


def format_number(type: DocumentType, year: int, sequence: int) -> str:
    """The printed number: ``SHP-2026-00042`` (five digits, more past 99999)."""
    return f"{type.value}-{year:04d}-{sequence:0{SEQUENCE_DIGITS}d}"


class Document(db.Model):
    """A numbered document (shipment, distribution, requisition, count, camp), numbered forever."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("print_count >= 0", name="print_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType))
    # The year of the business date it was registered on, and its place in that year's series.
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept by log_print() with a guarded increment: the copy number of the last print.
    print_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Document {self.number}>"


class DocumentCounter(db.Model):
    """The last number given to a document type in a year, advanced by one atomic UPDATE."""

    __tablename__ = "document_counters"
    __table_args__ = (CheckConstraint("last >= 0", name="last_not_negative"),)

    type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DocumentPrint(db.Model):
    """One print of a document: who printed it, when, and which copy it was (1 = the original)."""

    __tablename__ = "document_prints"
    __table_args__ = (
        UniqueConstraint("document_id", "copy_number", name="uq_document_prints_document_copy"),
        CheckConstraint("copy_number > 0", name="copy_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    copy_number: Mapped[int] = mapped_column(Integer)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship()
    printed_by: Mapped[User | None] = relationship()
