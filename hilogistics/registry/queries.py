"""Find a document by its number, and where it opens: one resolver for ``/d/<number>`` and search.

Each domain with numbered documents (shipments, distributions, requisitions, counts) registers
its page once, at import time, with ``register_page``: how to build the URL of a document, and
who may see it. The resolver answers "not found" alike for a number that does not exist, for a
type without a page and for a document the reader may not see, so guessing numbers tells a
technician nothing about other places.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from hilogistics.auth.models import User
from hilogistics.db import db
from hilogistics.errors import NotFoundError
from hilogistics.registry.models import Document, DocumentPrint, DocumentType, format_number

# TYPE-YEAR-SEQUENCE; the sequence may come without its leading zeros when typed by hand.
_NUMBER = re.compile(r"^([A-Z]{3})-(\d{4})-(\d{1,9})$")
MAX_INPUT = 200


@dataclass(frozen=True)
class DocumentPage:
    """Where the documents of one type open, and who may see one of them."""

    url: Callable[[Document], str]
    can_see: Callable[[User, Document], bool]


_PAGES: dict[DocumentType, DocumentPage] = {}


def register_page(
    type: DocumentType,
    *,
    url: Callable[[Document], str],
    can_see: Callable[[User, Document], bool],
) -> None:
    """Declare the page of a document type (once per type; a domain's views module calls it).

    ``url(document)`` runs inside a request (it may call ``url_for``); ``can_see(user,
    document)`` must be False for a technician and a document of another place.
    """
    if type in _PAGES and _PAGES[type] != DocumentPage(url, can_see):
        raise ValueError(f"document type {type} already has a page")
    _PAGES[type] = DocumentPage(url, can_see)


def unregister_page(type: DocumentType) -> None:
    """Forget the page of a type (for tests that register a page of their own)."""
    _PAGES.pop(type, None)


def page_of(type: DocumentType) -> DocumentPage | None:
    """The registered page of a type, if any."""
    return _PAGES.get(type)


def has_page(type: DocumentType | None) -> bool:
    """True when documents of this type open somewhere (their number can be a link)."""
    return type is not None and type in _PAGES


def normalise_number(text: str | None) -> str | None:
    """The canonical number in what a person typed or a scanner sent, or None if it is none.

    Trims spaces and a scanner's trailing newline, upper-cases, takes the last part of a
    scanned address (``…/d/SHP-2026-00042``) and restores the zeros (``shp-2026-42``).
    """
    if not text or len(text) > MAX_INPUT:
        return None
    candidate = text.strip().rsplit("/", 1)[-1].strip().upper()
    match = _NUMBER.match(candidate)
    if match is None:
        return None
    prefix, year, sequence = match.groups()
    try:
        type = DocumentType(prefix)
    except ValueError:
        return None
    if int(sequence) == 0:
        return None
    return format_number(type, int(year), int(sequence))


def find_document(text: str | None) -> Document | None:
    """The document with this number (normalised first), or None."""
    number = normalise_number(text)
    if number is None:
        return None
    return db.session.scalar(select(Document).where(Document.number == number))


def resolve(text: str | None, *, viewer: User) -> tuple[Document, str]:
    """The document numbered ``text`` and the URL of its page, as ``viewer`` may open it.

    Raises NotFoundError when the number is malformed or unknown, its type has no page yet,
    or ``viewer`` may not see it (a technician and another place's document).
    """
    document = find_document(text)
    page = page_of(document.type) if document is not None else None
    if document is None or page is None or not page.can_see(viewer, document):
        raise NotFoundError("no such document")
    return document, page.url(document)


def prints_of(document_id: int) -> list[DocumentPrint]:
    """A document's print log, first print first (who printed which copy, and when)."""
    return list(
        db.session.scalars(
            select(DocumentPrint)
            .where(DocumentPrint.document_id == document_id)
            .order_by(DocumentPrint.copy_number)
        )
    )
