"""Number documents and log their prints: the only code that writes the registry's tables.

Both counters are advanced by one atomic ``UPDATE … SET n = n + 1 … RETURNING n``: on
PostgreSQL the second writer waits for the first one's row lock and then reads the committed
value; on SQLite writers hold the database lock from BEGIN IMMEDIATE. Either way no two
callers get the same number, and a caller that rolls back gives its number back, so the
committed numbers of a type and year have no gaps. Functions flush but never commit.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import insert, update

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.dates import business_today
from hilogistics.db import begin_write, db, insert_ignoring_conflict
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.registry.models import (
    Document,
    DocumentCounter,
    DocumentPrint,
    DocumentType,
    format_number,
)


def _actor_id(actor: User | SystemActor | None) -> int | None:
    if actor is None:
        # A forgotten actor must never mean "the system": callers name SYSTEM (recorded as NULL).
        raise PermissionDeniedError(_("No one is signed in to record this."))
    return actor.id


def next_sequence(type: DocumentType, year: int) -> int:
    """Advance the counter of ``type`` in ``year`` by one and return the new value.

    The first use of a type in a year creates its counter (INSERT … ON CONFLICT DO NOTHING,
    so two first users at once both find one row).
    """
    begin_write()
    db.session.execute(
        insert_ignoring_conflict(
            DocumentCounter.__table__, {"type": type.value, "year": year, "last": 0}
        )
    )
    # The increment and the read are one statement: nothing can come between them.
    value = db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.type == type, DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(value)


def register_document(
    *,
    type: DocumentType,
    actor: User | SystemActor,
    on: date | None = None,
) -> Document:
    """Give a new document the next number of its type in the year of ``on`` (the business date).

    ``on`` defaults to the business date today. Raises DomainError for an unknown type and
    PermissionDeniedError for ``actor=None`` (``SYSTEM`` records no user).
    """
    created_by_id = _actor_id(actor)
    try:
        type = DocumentType(type)
    except ValueError as error:
        raise DomainError(_("Unknown document type."), field="type") from error
    on = on or business_today()
    sequence = next_sequence(type, on.year)
    document = Document(
        type=type,
        year=on.year,
        sequence=sequence,
        number=format_number(type, on.year, sequence),
        created_by_id=created_by_id,
        print_count=0,
    )
    db.session.add(document)
    db.session.flush()
    return document


def log_print(document: Document, actor: User | SystemActor) -> int:
    """Record one print of ``document`` and return its copy number (1 first, then 2, 3…).

    Documents print "COPY n" when the number is above 1. Raises NotFoundError when the
    document is gone, PermissionDeniedError for ``actor=None`` (``SYSTEM`` records no user).
    """
    printed_by_id = _actor_id(actor)
    begin_write()
    copy_number = db.session.execute(
        update(Document)
        .where(Document.id == document.id)
        .values(print_count=Document.print_count + 1)
        .returning(Document.print_count)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if copy_number is None:
        raise NotFoundError(_("No such document."))
    db.session.execute(
        insert(DocumentPrint).values(
            document_id=document.id,
            copy_number=copy_number,
            printed_by_id=printed_by_id,
        )
    )
    # The session's copy of the row still holds the old count.
    db.session.expire(document, ["print_count"])
    return int(copy_number)
