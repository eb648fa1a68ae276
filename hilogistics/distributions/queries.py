"""Read-only distribution queries: lists with filters, slips not returned, recall by lot or code.

List functions return ``select()`` statements (pages paginate them); a technician's are
narrowed to their own place, as their pages, exports and PDFs must be.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionLine,
    DistributionStatus,
    PreprintedSlip,
    PreprintedStatus,
    RecipientType,
)
from hilogistics.registry.models import Document
from hilogistics.registry.queries import normalise_number
from hilogistics.stock.models import StockTransaction
from hilogistics.stock.queries import RowPage


@dataclass(frozen=True)
class DistributionFilters:
    """What a distributions list is narrowed to; None (or "") means any."""

    location_id: int | None = None
    recipient_type: RecipientType | None = None
    status: DistributionStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""


def visible_to(actor: User | SystemActor | None) -> object:
    """A WHERE clause: every distribution, a technician's own place's, or none."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return Distribution.location_id == actor.location_id
    return True


def distributions_query(
    actor: User | SystemActor | None, filters: DistributionFilters = DistributionFilters()
) -> Select[tuple[Distribution]]:
    """Distributions ``actor`` may see, newest first, narrowed by ``filters``.

    ``text`` finds a slip number or a recipient code (upper-cased, from its start).
    """
    statement = (
        select(Distribution)
        .join(Document, Document.id == Distribution.document_id)
        .where(visible_to(actor))  # type: ignore[arg-type]
        .options(selectinload(Distribution.location))
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc())
    )
    if filters.location_id is not None:
        statement = statement.where(Distribution.location_id == filters.location_id)
    if filters.recipient_type is not None:
        statement = statement.where(Distribution.recipient_type == filters.recipient_type)
    if filters.status is not None:
        statement = statement.where(Distribution.status == filters.status)
    if filters.date_from is not None:
        statement = statement.where(Distribution.distributed_on >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(Distribution.distributed_on <= filters.date_to)
    text = filters.text.strip().upper()
    if text:
        statement = statement.where(
            (Document.number == text) | Distribution.recipient_ref.startswith(text, autoescape=True)
        )
    return statement


def _unreturned_where(
    actor: User | SystemActor | None, location_id: int | None, issued_before: date | None
) -> list[object]:
    """The WHERE clauses of the slips not returned that ``actor`` may see, narrowed as asked."""
    clauses = [visible_to(actor), Distribution.status == DistributionStatus.ISSUED]
    if location_id is not None:
        clauses.append(Distribution.location_id == location_id)
    if issued_before is not None:
        clauses.append(Distribution.distributed_on < issued_before)
    return clauses


def unreturned_query(
    actor: User | SystemActor | None,
    *,
    location_id: int | None = None,
    issued_before: date | None = None,
) -> Select[tuple[Distribution]]:
    """Slips not yet signed and returned, oldest first (by place, dated before a day, if asked)."""
    return (
        select(Distribution)
        .where(*_unreturned_where(actor, location_id, issued_before))  # type: ignore[arg-type]
        .options(selectinload(Distribution.location))
        .order_by(Distribution.distributed_on, Distribution.id)
    )


def unreturned_count_query(
    actor: User | SystemActor | None,
    *,
    location_id: int | None = None,
    issued_before: date | None = None,
) -> Select[tuple[int]]:
    """How many slips ``unreturned_query`` lists: one count over the status index."""
    return select(func.count(Distribution.id)).where(
        *_unreturned_where(actor, location_id, issued_before)  # type: ignore[arg-type]
    )


def distribution_with_lines(distribution_id: int) -> Distribution | None:
    """One distribution with its lines, history and place loaded for its page."""
    return db.session.scalar(
        select(Distribution)
        .where(Distribution.id == distribution_id)
        .options(
            selectinload(Distribution.all_lines),
            selectinload(Distribution.events),
            selectinload(Distribution.location),
        )
    )


def distribution_of_document(document_id: int) -> Distribution | None:
    """The distribution a registry document numbers, if any."""
    return db.session.scalar(select(Distribution).where(Distribution.document_id == document_id))


def distribution_transactions(distribution: Distribution) -> list[StockTransaction]:
    """Every transaction posted for the slip (distribution, reversal, corrected), in order."""
    return list(
        db.session.scalars(
            select(StockTransaction)
            .where(StockTransaction.document_id == distribution.document_id)
            .options(selectinload(StockTransaction.movements))
            .order_by(StockTransaction.id)
        )
    )


def traced_query(
    actor: User | SystemActor | None,
    *,
    lot_id: int | None = None,
    reference: str | None = None,
) -> Select[tuple[DistributionLine, Distribution]]:
    """Current lines of the distributions of a lot, or to a recipient code, newest first.

    A corrected slip counts with its corrected lines only (what the recipient has now).
    """
    statement = (
        select(DistributionLine, Distribution)
        .join(
            Distribution,
            and_(
                Distribution.id == DistributionLine.distribution_id,
                Distribution.revision == DistributionLine.revision,
            ),
        )
        .where(visible_to(actor))  # type: ignore[arg-type]
        .options(selectinload(Distribution.location))
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc())
    )
    if lot_id is not None:
        statement = statement.where(DistributionLine.lot_id == lot_id)
    if reference is not None:
        statement = statement.where(Distribution.recipient_ref == reference.strip().upper())
    return statement


@dataclass(frozen=True)
class ProgrammeFigures:
    """What the programme reached between two dates (inclusive)."""

    people_served: int
    items_distributed: int
    places_reached: int


def programme_figures(first: date, last: date) -> ProgrammeFigures:
    """People served, units distributed and places reached by the slips dated ``first``–``last``.

    People: each patient code once, plus the head-counts of classes and camp sessions. Units:
    the slips' current lines (a corrected slip counts as corrected). One statement over the
    month's distributions and their lines, never the ledger.
    """
    in_month = Distribution.distributed_on.between(first, last)
    heads = sum(getattr(Distribution, name) for name in HEADCOUNT_FIELDS)
    is_group = Distribution.recipient_type.in_([t for t in RecipientType if t.is_group])
    units = (
        select(func.coalesce(func.sum(DistributionLine.quantity), 0))
        .join(
            Distribution,
            and_(
                DistributionLine.distribution_id == Distribution.id,
                DistributionLine.revision == Distribution.revision,
            ),
        )
        .where(in_month)
        .scalar_subquery()
    )
    # One statement, one pass over the month's slips (read by ix_distributions_on), and
    # their current lines: a busy month is read once, not three times.
    patients, grouped, places, distributed = db.session.execute(
        select(
            func.count(
                func.distinct(
                    case(
                        (
                            Distribution.recipient_type == RecipientType.PATIENT,
                            Distribution.recipient_ref,
                        )
                    )
                )
            ),
            func.coalesce(func.sum(case((is_group, heads), else_=0)), 0),
            func.count(func.distinct(Distribution.location_id)),
            units,
        ).where(in_month)
    ).one()
    return ProgrammeFigures(
        people_served=int(patients or 0) + int(grouped or 0),
        items_distributed=int(distributed or 0),
        places_reached=int(places or 0),
    )


def _preprinted_visible_to(actor: User | SystemActor | None) -> object:
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return PreprintedSlip.location_id == actor.location_id
    return True


def preprinted_query(
    actor: User | SystemActor | None,
    *,
    location_id: int | None = None,
    status: PreprintedStatus | None = None,
) -> Select[tuple[PreprintedSlip]]:
    """Pre-printed slips ``actor`` may see, by planned day then number (newest day first)."""
    statement = (
        select(PreprintedSlip)
        .where(_preprinted_visible_to(actor))  # type: ignore[arg-type]
        .options(selectinload(PreprintedSlip.location))
        .order_by(PreprintedSlip.planned_on.desc(), PreprintedSlip.id)
    )
    if location_id is not None:
        statement = statement.where(PreprintedSlip.location_id == location_id)
    if status is not None:
        statement = statement.where(PreprintedSlip.status == status)
    return statement


def reserved_slip(actor: User | SystemActor | None, number: str) -> PreprintedSlip | None:
    """The reserved (not yet keyed) pre-printed slip of this number that ``actor`` may see."""
    canonical = normalise_number(number)
    if canonical is None:
        return None
    return db.session.scalar(
        preprinted_query(actor, status=PreprintedStatus.RESERVED)
        .join(Document, Document.id == PreprintedSlip.document_id)
        .where(Document.number == canonical)
    )


def preprinted_of_document(document_id: int) -> PreprintedSlip | None:
    """The pre-printed slip a registry document numbers, if any."""
    return db.session.scalar(
        select(PreprintedSlip).where(PreprintedSlip.document_id == document_id)
    )


def traced_page(
    actor: User | SystemActor | None,
    *,
    page: int,
    per_page: int,
    lot_id: int | None = None,
    reference: str | None = None,
) -> RowPage:
    """One page of ``traced_query``: (line, distribution) pairs, newest first.

    The order is found on narrow rows (ids and dates) and only the page's lines are then
    loaded with their item, lot and place: a lot handed out thousands of times sorts its
    dates, not thousands of joined rows.
    """
    narrow = traced_query(actor, lot_id=lot_id, reference=reference)
    narrow = (
        narrow.with_only_columns(DistributionLine.id, Distribution.id, maintain_column_froms=True)
        .order_by(None)
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc(), DistributionLine.id)
    )
    result = RowPage(narrow, page=page, per_page=per_page)
    line_ids = [row[0] for row in result.items]
    if line_ids:
        loaded = {
            line.id: (line, distribution)
            for line, distribution in db.session.execute(
                select(DistributionLine, Distribution)
                .join(Distribution, Distribution.id == DistributionLine.distribution_id)
                .where(DistributionLine.id.in_(line_ids))
                .options(selectinload(Distribution.location))
            )
        }
        result.items = [loaded[line_id] for line_id in line_ids]
    return result
