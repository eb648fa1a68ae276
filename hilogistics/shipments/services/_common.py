"""What every shipment operation shares: the entry shapes, visibility, history, replays."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.dates import business_date_problem, business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentEvent,
    ShipmentStatus,
)
from hilogistics.stock import ledger
from hilogistics.stock.models import (
    StockTransaction,
)

_TEXT_LIMITS = {"supplier": 200, "reference": 120, "carrier": 120, "vehicle": 60, "driver": 120}


@dataclass(frozen=True)
class DraftLine:
    """One line of a draft or plan as entered: item, quantity, and the lot.

    Outbound drafts name the lot taken (``lot_id``; required at dispatch). Inbound plans name
    the lot code and expiry the packing list announces (the lot may not exist yet).
    """

    item_id: int
    quantity: int
    lot_id: int | None = None
    lot_code: str = ""
    expires_on: date | None = None
    note: str = ""
    # Outbound lines of a requisition: the reservation at the origin the dispatch fulfils.
    reservation_id: int | None = None


@dataclass(frozen=True)
class LineReceipt:
    """What a receiving event reports for one line.

    ``received`` arrived in good order; ``damaged`` arrived unusable; ``lost`` never arrived
    (outbound only: what an inbound consignment lacks stays expected until it is closed).
    ``reason_id`` says why ``lost`` was lost (a reason that goes to the loss location).
    Inbound: ``lot_code``/``expires_on`` as found (default: the plan's), ``serials`` one per
    unit received or damaged for serial-tracked items.
    """

    line_id: int
    received: int = 0
    damaged: int = 0
    lost: int = 0
    reason_id: int | None = None
    note: str = ""
    lot_code: str | None = None
    expires_on: date | None = None
    serials: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Header:
    """The header of a draft or plan (every field optional but the places)."""

    reference: str = ""
    carrier: str = ""
    vehicle: str = ""
    driver: str = ""
    supplier: str = ""
    grant_id: int | None = None
    expected_on: date | None = None
    note: str = ""


# Called with the shipment after each receiving event (in its transaction): requisitions close
# themselves when all they approved has arrived. Registered at import by the domains that care.
_AFTER_RECEIPT: list[Callable[[Shipment], None]] = []


def after_receipt(callback: Callable[[Shipment], None]) -> None:
    """Have ``callback(shipment)`` run after every receiving event, in the same transaction."""
    if callback not in _AFTER_RECEIPT:
        _AFTER_RECEIPT.append(callback)


def run_after_receipt(shipment: Shipment) -> None:
    """Run the callbacks registered with ``after_receipt``."""
    for callback in _AFTER_RECEIPT:
        callback(shipment)


def can_see(actor: User | SystemActor | None, shipment: Shipment) -> bool:
    """Whether ``actor`` may see ``shipment``: technicians only from or to their own place."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id in (shipment.origin_id, shipment.destination_id)
    return True


def visible_shipment(actor: User | SystemActor | None, shipment_id: int) -> Shipment:
    """The shipment when ``actor`` may see it; NotFoundError otherwise (as a 404 page says)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or not can_see(actor, shipment):
        raise NotFoundError(_("No such shipment."))
    return shipment


def _shipment(shipment_id: int) -> Shipment:
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(_("No such shipment."))
    return shipment


def _once(
    shipment_id: int,
    *,
    actor: User | SystemActor | None,
    operation_key: str,
    fingerprint: str,
    work: Callable[[], StockTransaction],
) -> StockTransaction:
    """``ledger.once``; on a refusal, the loaded shipment forgets what the savepoint undid."""
    try:
        return ledger.once(
            actor=actor, operation_key=operation_key, fingerprint=fingerprint, work=work
        )
    except DomainError:
        loaded = db.session.identity_map.get(identity_key(Shipment, shipment_id))
        if loaded is not None:
            for line in list(loaded.__dict__.get("lines", [])):
                db.session.expire(line)
            db.session.expire(loaded)
        raise


def _event_of(transaction: StockTransaction) -> ShipmentEvent:
    event = db.session.scalar(
        select(ShipmentEvent).where(
            (ShipmentEvent.transaction_id == transaction.id)
            | (ShipmentEvent.loss_transaction_id == transaction.id)
        )
    )
    if event is None:  # pragma: no cover - every shipment transaction is recorded with its event
        raise NotFoundError(_("No such shipment."))
    return event


def _derived_key(operation_key: str, suffix: str) -> str:
    """A second operation key for a second transaction of one submission (at most 64 chars)."""
    return f"{suffix}:" + hashlib.sha256(operation_key.encode()).hexdigest()[:48]


def _record(
    shipment: Shipment,
    actor: User | SystemActor | None,
    action: ShipmentAction,
    *,
    occurred_on: date | None = None,
    note: str = "",
    transaction: StockTransaction | None = None,
    loss_transaction: StockTransaction | None = None,
    status: ShipmentStatus | None = None,
) -> ShipmentEvent:
    if status is None:
        db.session.flush()
        status = db.session.scalar(select(Shipment.status).where(Shipment.id == shipment.id))
    event = ShipmentEvent(
        shipment_id=shipment.id,
        action=action,
        status=status,
        actor_id=actor.id if actor is not None else None,
        occurred_on=occurred_on or business_today(),
        note=note,
        transaction_id=transaction.id if transaction else None,
        loss_transaction_id=loss_transaction.id if loss_transaction else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _check_length(name: str, text: str) -> None:
    limit = _TEXT_LIMITS[name]
    if len(text) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field=name)


def _check_business_date(value: date, name: str) -> None:
    if not isinstance(value, date):
        raise DomainError(_("Enter a date."), field=name)
    problem = business_date_problem(value)
    if problem is not None:
        raise DomainError(problem, field=name)


def _reason_text(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise DomainError(_("Say why."), field="reason")
    if len(text) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="reason")
    return text
