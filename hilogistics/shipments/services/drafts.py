"""Drafts and plans: create, edit, cancel a dispatch draft; plan and close a consignment.

Nothing here posts stock.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.camps.guards import camp_refusal
from hilogistics.catalogue.models import Item
from hilogistics.dates import planning_date_problem
from hilogistics.db import begin_write, db
from hilogistics.errors import DomainError
from hilogistics.locations.models import Location, LocationKind
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentLine,
    ShipmentStatus,
    ShipmentSubmission,
)
from hilogistics.shipments.services._common import (
    DraftLine,
    Header,
    _check_length,
    _reason_text,
    _record,
    _shipment,
)
from hilogistics.stock import ledger
from hilogistics.stock.errors import ReplayConflictError
from hilogistics.stock.models import (
    Grant,
    Lot,
    Reservation,
)
from hilogistics.stock.services import require_stock_role, virtual_location

MAX_LINES = 500


def create_dispatch(
    *,
    actor: User | SystemActor | None,
    origin_id: int,
    destination_id: int,
    lines: Sequence[DraftLine],
    header: Header | None = None,
    operation_key: str | None = None,
) -> Shipment:
    """Save a new outbound draft from one physical place to another; posts nothing.

    With ``operation_key`` (a form's one-time key) the same submission makes one draft: sent
    again with the same content it returns the first draft; with other content it raises
    ReplayConflictError. Raises PermissionDeniedError (not logistics) or DomainError naming
    the field (``origin_id``, ``destination_id``, ``lines-2-quantity``…).
    """
    begin_write()
    require_stock_role(actor)
    header = header or Header()

    def work() -> Shipment:
        origin, destination = _outbound_places(origin_id, destination_id)
        return _new_draft(
            actor=actor,
            direction=ShipmentDirection.OUTBOUND,
            origin=origin,
            destination=destination,
            lines=lines,
            header=header,
        )

    asked = {"origin_id": origin_id, "destination_id": destination_id, **asdict(header)}
    return created_once(
        actor, operation_key, "outbound draft", asked, [asdict(line) for line in lines], work
    )


def plan_consignment(
    *,
    actor: User | SystemActor | None,
    destination_id: int,
    lines: Sequence[DraftLine],
    header: Header | None = None,
    operation_key: str | None = None,
) -> Shipment:
    """Plan an inbound consignment to a warehouse (supplier, grant, expected lines).

    ``operation_key`` as for ``create_dispatch``: one plan however often the form is sent.
    Raises PermissionDeniedError, ReplayConflictError or DomainError naming the field.
    """
    begin_write()
    require_stock_role(actor)
    header = header or Header()

    def work() -> Shipment:
        destination = _inbound_warehouse(destination_id)
        return _new_draft(
            actor=actor,
            direction=ShipmentDirection.INBOUND,
            origin=virtual_location("SUPPLIER"),
            destination=destination,
            lines=lines,
            header=header,
        )

    asked = {"destination_id": destination_id, **asdict(header)}
    return created_once(
        actor, operation_key, "consignment plan", asked, [asdict(line) for line in lines], work
    )


def update_draft(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    lines: Sequence[DraftLine],
    header: Header | None = None,
    origin_id: int | None = None,
    destination_id: int | None = None,
) -> Shipment:
    """Replace the header and lines of a draft (outbound) or of a plan not yet received.

    Places left None stay as they were. Raises ConflictError when it left draft meanwhile.
    """
    begin_write()
    require_stock_role(actor)
    header = header or Header()
    shipment = _shipment(shipment_id)
    # The guarded no-op transition locks the row: a dispatch waits for this edit, or wins.
    transition(Shipment, shipment.id, frm=ShipmentStatus.DRAFT, to=ShipmentStatus.DRAFT)
    db.session.refresh(shipment)
    if shipment.is_inbound:
        destination = _inbound_warehouse(destination_id or shipment.destination_id)
        origin = shipment.origin
    else:
        origin, destination = _outbound_places(
            origin_id or shipment.origin_id, destination_id or shipment.destination_id
        )
    values = _header_values(header, inbound=shipment.is_inbound)
    lines = _keep_reservations(shipment, lines)
    new_lines = _draft_lines(lines, inbound=shipment.is_inbound, origin_id=origin.id)
    shipment.origin_id, shipment.destination_id = origin.id, destination.id
    for name, value in values.items():
        setattr(shipment, name, value)
    shipment.lines.clear()
    db.session.flush()
    shipment.lines.extend(new_lines)
    _record(shipment, actor, ShipmentAction.EDITED)
    db.session.flush()
    return shipment


def cancel_shipment(
    *, actor: User | SystemActor | None, shipment_id: int, reason: str = ""
) -> Shipment:
    """Cancel a draft or a plan nothing was received against; posts nothing."""
    begin_write()
    require_stock_role(actor)
    shipment = _shipment(shipment_id)
    reason = _reason_text(reason, required=False)
    transition(
        Shipment, shipment.id, frm=ShipmentStatus.DRAFT, to=ShipmentStatus.CANCELLED, reason=reason
    )
    _record(shipment, actor, ShipmentAction.CANCELLED, note=reason)
    db.session.flush()
    return shipment


def close_consignment(
    *, actor: User | SystemActor | None, shipment_id: int, reason: str
) -> Shipment:
    """Close an inbound consignment whose rest will not come (planned or partly received)."""
    begin_write()
    require_stock_role(actor)
    shipment = _shipment(shipment_id)
    if not shipment.is_inbound:
        raise DomainError(
            _("Only a consignment is closed; a dispatch is received or written off."),
            field="reason",
        )
    reason = _reason_text(reason, required=True)
    transition(
        Shipment,
        shipment.id,
        frm=(ShipmentStatus.DRAFT, ShipmentStatus.PARTLY_RECEIVED),
        to=ShipmentStatus.CLOSED,
        reason=reason,
    )
    _record(shipment, actor, ShipmentAction.CLOSED, note=reason)
    db.session.flush()
    return shipment


def created_once(
    actor: User | SystemActor | None,
    operation_key: str | None,
    kind: str,
    asked: Mapping[str, object],
    lines: Sequence[Mapping[str, object]],
    work: Callable[[], Shipment],
) -> Shipment:
    """Run ``work`` (make a draft) once per actor and operation key, as ``ledger.once`` posts.

    ``kind``, ``asked`` (the header) and ``lines`` are what the caller was asked, as
    ``ledger.fingerprint_of`` takes them. A key seen before with the same content returns its
    draft; with other content it is refused (ReplayConflictError naming the first draft).
    Two submissions at once: the second's insert of the key fails on the UNIQUE constraint
    (PostgreSQL) or waits behind the first's write lock (SQLite), then finds
    the first's draft; its own work is undone by the savepoint, its number given again.
    """
    if operation_key is None:
        return work()
    if not operation_key or len(operation_key) > 64:
        raise DomainError(_("The form is missing its one-time key. Reload the page."))
    fingerprint = ledger.fingerprint_of(kind, asked, lines)
    actor_key = actor.id if actor is not None and actor.id is not None else 0
    earlier = _submitted(actor_key, operation_key, fingerprint)
    if earlier is not None:
        return earlier
    try:
        with db.session.begin_nested():
            shipment = work()
            db.session.add(
                ShipmentSubmission(
                    shipment_id=shipment.id,
                    actor_key=actor_key,
                    operation_key=operation_key,
                    fingerprint=fingerprint,
                )
            )
            db.session.flush()
            return shipment
    except (IntegrityError, DomainError):
        earlier = _submitted(actor_key, operation_key, fingerprint)
        if earlier is not None:
            return earlier
        raise


def _submitted(actor_key: int, operation_key: str, fingerprint: str) -> Shipment | None:
    """The draft an earlier submission with this key made; refused if it asked otherwise."""
    earlier = db.session.scalar(
        select(ShipmentSubmission).where(
            ShipmentSubmission.actor_key == actor_key,
            ShipmentSubmission.operation_key == operation_key,
        )
    )
    if earlier is None:
        return None
    if earlier.fingerprint != fingerprint:
        raise ReplayConflictError(
            _(
                "This form was already sent with other content (%(number)s). "
                "Reload the page to start a new one.",
                number=earlier.shipment.number,
            )
        )
    return earlier.shipment


def _new_draft(
    *,
    actor: User | SystemActor | None,
    direction: ShipmentDirection,
    origin: Location,
    destination: Location,
    lines: Sequence[DraftLine],
    header: Header,
) -> Shipment:
    inbound = direction is ShipmentDirection.INBOUND
    values = _header_values(header, inbound=inbound)
    new_lines = _draft_lines(lines, inbound=inbound, origin_id=origin.id)
    document = register_document(type=DocumentType.SHIPMENT, actor=actor)  # type: ignore[arg-type]
    shipment = Shipment(
        document_id=document.id,
        direction=direction,
        status=ShipmentStatus.DRAFT,
        origin_id=origin.id,
        destination_id=destination.id,
        created_by_id=actor.id if actor is not None else None,
        lines=new_lines,
        **values,
    )
    db.session.add(shipment)
    db.session.flush()
    _record(shipment, actor, ShipmentAction.CREATED, status=ShipmentStatus.DRAFT)
    return shipment


def _header_values(header: Header, *, inbound: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in ("reference", "carrier", "vehicle", "driver", "supplier"):
        text = (getattr(header, name) or "").strip()
        _check_length(name, text)
        values[name] = text
    if inbound and not values["supplier"]:
        raise DomainError(_("Enter the supplier or donor."), field="supplier")
    if header.grant_id is not None and db.session.get(Grant, header.grant_id) is None:
        raise DomainError(_("Choose a grant from the list."), field="grant_id")
    if header.expected_on is not None:
        problem = planning_date_problem(header.expected_on)
        if problem:
            raise DomainError(problem, field="expected_on")
    values["grant_id"] = header.grant_id
    values["expected_on"] = header.expected_on
    values["note"] = (header.note or "").strip()
    return values


def _keep_reservations(shipment: Shipment, lines: Sequence[DraftLine]) -> list[DraftLine]:
    """An edited draft of a requisition keeps each item's reservation (the edit form omits it)."""
    held = {line.item_id: line.reservation_id for line in shipment.lines if line.reservation_id}
    return [
        line
        if line.reservation_id is not None or line.item_id not in held
        else replace(line, reservation_id=held[line.item_id])
        for line in lines
    ]


def _draft_lines(
    lines: Sequence[DraftLine], *, inbound: bool, origin_id: int | None = None
) -> list[ShipmentLine]:
    if not lines:
        raise DomainError(_("Enter at least one line."), field="lines")
    if len(lines) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines.", n=MAX_LINES), field="lines")
    items = {
        i.id: i
        for i in db.session.scalars(select(Item).where(Item.id.in_({ln.item_id for ln in lines})))
    }
    lot_ids = {ln.lot_id for ln in lines if ln.lot_id is not None}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}
    held_ids = {ln.reservation_id for ln in lines if ln.reservation_id is not None}
    held = {
        r.id: r for r in db.session.scalars(select(Reservation).where(Reservation.id.in_(held_ids)))
    }
    made: list[ShipmentLine] = []
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            raise DomainError(_("Choose an active item."), field=prefix + "item")
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise DomainError(_("The quantity must be at least 1."), field=prefix + "quantity")
        if quantity > ledger.MAX_QUANTITY:
            raise DomainError(
                _("The quantity must be at most %(max)d.", max=ledger.MAX_QUANTITY),
                field=prefix + "quantity",
            )
        lot_id = None
        if not inbound and line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or lot.item_id != item.id:
                raise DomainError(_("Choose a lot of this item."), field=prefix + "lot")
            if item.tracks_serial and quantity != 1:
                raise DomainError(
                    _("A serial number is one unit: one line per serial number."),
                    field=prefix + "quantity",
                )
            lot_id = lot.id
        reservation_id = None
        if line.reservation_id is not None and not inbound:
            reservation = held.get(line.reservation_id)
            if (
                reservation is None
                or reservation.item_id != item.id
                or reservation.location_id != origin_id
            ):
                raise DomainError(
                    _("This line's reservation is for another item or place."),
                    field=prefix + "item",
                )
            reservation_id = reservation.id
        lot_code = (line.lot_code or "").strip() if inbound else ""
        if len(lot_code) > 64:
            raise DomainError(_("At most %(n)d characters.", n=64), field=prefix + "lot_code")
        expires_on = line.expires_on if inbound else None
        if expires_on is not None:
            problem = planning_date_problem(expires_on)
            if problem:
                raise DomainError(problem, field=prefix + "expires_on")
        made.append(
            ShipmentLine(
                position=index + 1,
                item_id=item.id,
                lot_id=lot_id,
                lot_code=lot_code,
                expires_on=expires_on,
                quantity=quantity,
                note=(line.note or "").strip(),
                reservation_id=reservation_id,
            )
        )
    return made


def _outbound_places(origin_id: int, destination_id: int) -> tuple[Location, Location]:
    origin = db.session.get(Location, origin_id)
    if origin is None or not origin.kind.is_physical or not origin.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="origin_id"
        )
    destination = db.session.get(Location, destination_id)
    if destination is None or not destination.kind.is_physical or not destination.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="destination_id"
        )
    if origin.id == destination.id:
        raise DomainError(_("The destination must differ from the origin."), field="destination_id")
    refusal = camp_refusal(destination)
    if refusal is not None:
        raise DomainError(refusal, field="destination_id")
    return origin, destination


def _inbound_warehouse(destination_id: int) -> Location:
    warehouse = db.session.get(Location, destination_id)
    if warehouse is None or warehouse.kind is not LocationKind.WAREHOUSE or not warehouse.is_active:
        raise DomainError(_("Choose an active warehouse."), field="destination_id")
    return warehouse
