"""Monthly distribution totals per place, recipient type and service, kept by the ledger.

One row per (month, place, recipient type, service): the slips, their head-counts, the
individuals (a patient or other single recipient: one each) and the units on the lines of each
slip's current revision. Every figure is a sum over slips, and a slip belongs to one row, so a
period of whole months is the sum of its rows (the report reads the days of a partial month
from the slips themselves).

``post()`` calls :func:`record` after applying its balances: a slip's posting (a distribution
or consumption naming the slip's document, never a reversal) adds, for revision 1, the slip
and its head-counts, and for every revision the units of its lines less those of the revision
before (a correction reverses and reposts on the slip's own date). One upsert per post, that
adds to the row (``INSERT … ON CONFLICT DO UPDATE``), so concurrent slips of one place and
month add up instead of overwriting each other. ``seed-scale`` and the migration fill the table
from the slips with :func:`rebuild`; ``check-ledger`` compares it with the slips
(:func:`month_differences`).
"""

from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    Select,
    String,
    UniqueConstraint,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from hilogistics.db import db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionLine,
    RecipientType,
)
from hilogistics.stock.models import StockTransaction, TransactionKind

INDIVIDUAL_TYPES = (RecipientType.PATIENT.value, RecipientType.OTHER.value)
FIGURES = ("slips", *HEADCOUNT_FIELDS, "individuals", "quantity")


class DistributionMonth(db.Model):
    """What the slips of one place, month, recipient type and service add up to."""

    __tablename__ = "distribution_months"
    __table_args__ = (
        UniqueConstraint(
            "month",
            "location_id",
            "recipient_type",
            "service",
            name="uq_distribution_months_month_place_type_service",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first day of the month.
    month: Mapped[date] = mapped_column(Date)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    recipient_type: Mapped[str] = mapped_column(String(12))
    # "" for slips without a service: a key column, never NULL (NULLs never clash in UNIQUE).
    service: Mapped[str] = mapped_column(String(12))
    slips: Mapped[int] = mapped_column(Integer, default=0)
    girls: Mapped[int] = mapped_column(Integer, default=0)
    boys: Mapped[int] = mapped_column(Integer, default=0)
    women: Mapped[int] = mapped_column(Integer, default=0)
    men: Mapped[int] = mapped_column(Integer, default=0)
    older_women: Mapped[int] = mapped_column(Integer, default=0)
    older_men: Mapped[int] = mapped_column(Integer, default=0)
    individuals: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


def first_of_month(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def _units(distribution_id: int, revision: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(DistributionLine.quantity), 0)).where(
                DistributionLine.distribution_id == distribution_id,
                DistributionLine.revision == revision,
            )
        )
        or 0
    )


def record(transaction: StockTransaction) -> None:
    """After a post: add a slip's posting to its month's row (nothing for other posts)."""
    if transaction.document_id is None or transaction.kind not in (
        TransactionKind.DISTRIBUTION,
        TransactionKind.CONSUMPTION,
    ):
        return
    slip = db.session.execute(
        select(Distribution).where(Distribution.document_id == transaction.document_id)
    ).scalar_one_or_none()
    if slip is None:
        return
    db.session.refresh(slip)  # the revision a correction has just raised in SQL
    figures = dict.fromkeys(FIGURES, 0)
    figures["quantity"] = _units(slip.id, slip.revision)
    if slip.revision == 1:
        figures["slips"] = 1
        for name in HEADCOUNT_FIELDS:
            figures[name] = getattr(slip, name) or 0
        figures["individuals"] = int(slip.recipient_type.value in INDIVIDUAL_TYPES)
    else:
        figures["quantity"] -= _units(slip.id, slip.revision - 1)
    key = {
        "month": first_of_month(slip.distributed_on),
        "location_id": slip.location_id,
        "recipient_type": slip.recipient_type.value,
        "service": slip.service.value if slip.service is not None else "",
    }
    table = DistributionMonth.__table__
    dialect = db.session.get_bind().dialect.name
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(
        **key, **figures
    )
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=list(key),
            set_={name: table.c[name] + upsert.excluded[name] for name in FIGURES},
        )
    )


def slip_figures() -> Select[Any]:
    """Per slip: its day, key columns and figures (units: the lines of its current revision)."""
    units = (
        select(func.coalesce(func.sum(DistributionLine.quantity), 0))
        .where(
            DistributionLine.distribution_id == Distribution.id,
            DistributionLine.revision == Distribution.revision,
        )
        .scalar_subquery()
    )
    individual = case(
        (Distribution.recipient_type.in_(INDIVIDUAL_TYPES), literal(1)), else_=literal(0)
    )
    return select(
        Distribution.distributed_on.label("day"),
        Distribution.location_id.label("location_id"),
        cast(Distribution.recipient_type, String).label("recipient_type"),
        func.coalesce(cast(Distribution.service, String), literal("")).label("service"),
        literal(1).label("slips"),
        *(getattr(Distribution, name).label(name) for name in HEADCOUNT_FIELDS),
        individual.label("individuals"),
        units.label("quantity"),
    )


def computed_months() -> dict[tuple[date, int, str, str], tuple[int, ...]]:
    """Every row as the slips give it: key → figures in FIGURES order."""
    found: dict[tuple[date, int, str, str], list[int]] = {}
    for row in db.session.execute(slip_figures()):
        key = (
            first_of_month(row.day),
            row.location_id,
            row.recipient_type,
            row.service,
        )
        totals = found.setdefault(key, [0] * len(FIGURES))
        for number, name in enumerate(FIGURES):
            totals[number] += int(getattr(row, name) or 0)
    return {key: tuple(values) for key, values in found.items()}


def rebuild() -> int:
    """Replace every row by the slips' sums (seed-scale, repairs); how many rows."""
    db.session.execute(delete(DistributionMonth))
    rows = [
        {
            "month": month,
            "location_id": location_id,
            "recipient_type": recipient_type,
            "service": service,
            **dict(zip(FIGURES, figures, strict=True)),
        }
        for (month, location_id, recipient_type, service), figures in computed_months().items()
    ]
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(DistributionMonth), rows[chunk : chunk + 10_000])
    return len(rows)


def month_differences() -> list[str]:
    """Rows that disagree with the slips, named by month, place, type and service."""
    computed = computed_months()
    stored = {
        (row.month, row.location_id, row.recipient_type, row.service): tuple(
            getattr(row, name) for name in FIGURES
        )
        for row in db.session.execute(select(DistributionMonth)).scalars()
    }
    zero = (0,) * len(FIGURES)
    problems = []
    for key in sorted(computed.keys() | stored.keys()):
        mine, theirs = stored.get(key, zero), computed.get(key, zero)
        if mine != theirs:
            month, location_id, recipient_type, service = key
            words = ", ".join(
                f"{name} {a} (slips give {b})"
                for name, a, b in zip(FIGURES, mine, theirs, strict=True)
                if a != b
            )
            problems.append(
                f"distribution month {month:%Y-%m} location {location_id} {recipient_type} "
                f"{service or '-'}: {words}"
            )
    return problems
