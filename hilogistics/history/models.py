"""One row per change of a reference record (item, place, grant, account…), kept for audits."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hilogistics.db import UTCDateTime, db, utcnow


class ChangeRecord(db.Model):
    """A record created, changed or deleted: by whom (NULL: the system), when, and what.

    ``changes`` is JSON text, ``{"field": [old, new], …}`` with ids for references; reorder
    levels are filed under their item (``record_id``) with the place in ``location_id``, so
    the item's page and the place's page both read them by index.
    """

    __tablename__ = "change_records"
    __table_args__ = (
        Index("ix_change_records_record", "record_type", "record_id", "changed_at"),
        Index("ix_change_records_location", "location_id", "changed_at"),
        Index("ix_change_records_changed_at", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[str] = mapped_column(Text)
