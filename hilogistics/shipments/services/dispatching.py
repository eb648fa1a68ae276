"""Dispatch (origin → transit) and recall (transit → origin) of an outbound shipment."""

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.camps.guards import camp_refusal
from hilogistics.dates import business_today
from hilogistics.db import begin_write, db
from hilogistics.errors import DomainError
from hilogistics.i18n import current_locale
from hilogistics.lines.problems import LineProblem, LineProblems, line_field
from hilogistics.locations.models import LocationKind
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentEvent,
    ShipmentStatus,
)
from hilogistics.shipments.queries import origin_stock
from hilogistics.shipments.services._common import (
    _check_business_date,
    _check_length,
    _event_of,
    _once,
    _reason_text,
    _record,
    _shipment,
)
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import (
    Lot,
    Reservation,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import require_stock_role, virtual_location


def dispatch_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    dispatched_on: date,
    operation_key: str,
    carrier: str | None = None,
    vehicle: str | None = None,
    driver: str | None = None,
    note: str = "",
) -> ShipmentEvent:
    """Dispatch a draft: freeze its lines and post ``dispatch`` origin → transit.

    Carrier, vehicle and driver replace the draft's when given. Sent twice with one
    operation key, it posts once and answers both with the same event. Raises
    InsufficientStockError naming item, lot and place (field ``lines-N-quantity``),
    ConflictError when it is no longer a draft, DomainError for a bad date or a missing lot.
    """
    begin_write()
    require_stock_role(actor)
    asked = ledger.fingerprint_of(
        TransactionKind.DISPATCH,
        {
            "shipment_id": shipment_id,
            "dispatched_on": dispatched_on,
            "carrier": carrier,
            "vehicle": vehicle,
            "driver": driver,
            "note": (note or "").strip(),
        },
        [],
    )

    def work() -> StockTransaction:
        return _dispatch(
            actor=actor,
            shipment_id=shipment_id,
            dispatched_on=dispatched_on,
            operation_key=operation_key,
            fingerprint=asked,
            transport={"carrier": carrier, "vehicle": vehicle, "driver": driver},
            note=(note or "").strip(),
        )

    posted = _once(
        shipment_id, actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return _event_of(posted)


def _dispatch(
    *,
    actor: User | SystemActor,
    shipment_id: int,
    dispatched_on: date,
    operation_key: str,
    fingerprint: str,
    transport: dict[str, str | None],
    note: str,
) -> StockTransaction:
    shipment = _shipment(shipment_id)
    if shipment.is_inbound:
        raise DomainError(_("A consignment is received, not dispatched."), field="shipment_id")
    _check_business_date(dispatched_on, "dispatched_on")
    values = {k: v.strip() for k, v in transport.items() if v is not None}
    for name, value in values.items():
        _check_length(name, value)
    # The row lock first: an edit of the lines either committed before (read below) or waits.
    transition(
        Shipment,
        shipment.id,
        frm=ShipmentStatus.DRAFT,
        to=ShipmentStatus.DISPATCHED,
        dispatched_on=dispatched_on,
        **values,
    )
    # Edits replace lines (new rows), never change one in place: reloading the collection
    # reads the lines as they are now.
    db.session.expire(shipment)
    if not shipment.lines:
        raise DomainError(_("Enter at least one line."), field="lines")
    _check_places_active(shipment)
    returning = shipment.destination.kind is LocationKind.WAREHOUSE
    for index, line in enumerate(shipment.lines):
        if line.lot_id is None:
            raise DomainError(
                _("Choose the lot of %(item)s to send.", item=line.item.code),
                field=f"lines-{index}-lot",
            )
        expired = line.lot.expires_on is not None and line.lot.expires_on < dispatched_on
        # DESIGN.md 2b: expired or inactive stock may go back to a warehouse (a return), not
        # to a centre, school or camp. The ledger decides; the line says it in the clerk's words.
        if (expired or not line.item.is_active) and not returning:
            raise DomainError(
                _(
                    "%(item)s (%(lot)s) is inactive or its lot has expired: it may go back to "
                    "a warehouse, not to %(place)s; write it off instead.",
                    item=line.item.code,
                    lot=_lot_words(line.lot),
                    place=shipment.destination.display_name(current_locale()),
                ),
                field=f"lines-{index}-lot",
            )
    _check_available(shipment)
    transit = virtual_location("TRANSIT")
    posted = ledger.post(
        kind=TransactionKind.DISPATCH,
        lines=[
            ledger.Line(
                line.item_id,
                line.lot_id,
                line.quantity,
                shipment.origin_id,
                transit.id,
                note=line.note,
                reservation_id=line.reservation_id,
            )
            for line in shipment.lines
        ],
        actor=actor,
        occurred_on=dispatched_on,
        operation_key=operation_key,
        location_id=shipment.origin_id,
        reference=shipment.number,
        grant_id=shipment.grant_id,
        note=note,
        document_id=shipment.document_id,
        fingerprint=fingerprint,
        bound_for_id=shipment.destination_id,
    )
    _record(
        shipment,
        actor,
        ShipmentAction.DISPATCHED,
        occurred_on=dispatched_on,
        note=note,
        transaction=posted.transaction,
    )
    return posted.transaction


def recall_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    reason: str,
    operation_key: str,
    recalled_on: date | None = None,
) -> ShipmentEvent:
    """Call back a dispatched shipment nothing of which was received: ``recall`` transit → origin.

    Logistics only; the reason is required. Raises ConflictError once anything was received.
    """
    begin_write()
    require_stock_role(actor)
    recalled_on = recalled_on or business_today()
    asked = ledger.fingerprint_of(
        TransactionKind.RECALL,
        {"shipment_id": shipment_id, "reason": (reason or "").strip(), "on": recalled_on},
        [],
    )

    def work() -> StockTransaction:
        shipment = _shipment(shipment_id)
        text = _reason_text(reason, required=True)
        _check_business_date(recalled_on, "recalled_on")
        if shipment.dispatched_on is not None and recalled_on < shipment.dispatched_on:
            raise DomainError(
                _(
                    "A recall cannot be dated before the dispatch (%(date)s).",
                    date=shipment.dispatched_on.isoformat(),
                ),
                field="recalled_on",
            )
        if not shipment.origin.is_active:
            # A closed camp's place, say: the ledger would refuse it without saying why.
            raise DomainError(
                _(
                    "%(place)s is no longer active: the goods cannot be recalled there. "
                    "Receive them at the destination.",
                    place=shipment.origin.display_name(current_locale()),
                )
            )
        transition(
            Shipment,
            shipment.id,
            frm=ShipmentStatus.DISPATCHED,
            to=ShipmentStatus.RECALLED,
            reason=text,
        )
        transit = virtual_location("TRANSIT")
        posted = ledger.post(
            kind=TransactionKind.RECALL,
            lines=[
                ledger.Line(
                    line.item_id, line.lot_id, line.quantity, transit.id, shipment.origin_id
                )
                for line in shipment.lines
            ],
            actor=actor,
            occurred_on=recalled_on,
            operation_key=operation_key,
            location_id=shipment.origin_id,
            reference=shipment.number,
            grant_id=shipment.grant_id,
            note=text,
            document_id=shipment.document_id,
            fingerprint=asked,
        )
        _reserve_again(shipment, actor)
        _record(
            shipment,
            actor,
            ShipmentAction.RECALLED,
            occurred_on=recalled_on,
            note=text,
            transaction=posted.transaction,
        )
        return posted.transaction

    posted = _once(
        shipment_id, actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return _event_of(posted)


def _reserve_again(shipment: Shipment, actor: User | SystemActor) -> None:
    """Back at the origin, what the dispatch took from reservations is reserved again.

    The recall has just brought those units back, so the guarded reserve cannot fall short.
    """
    held: dict[int, int] = defaultdict(int)
    for line in shipment.lines:
        if line.reservation_id is not None:
            held[line.reservation_id] += line.quantity
    for reservation_id in sorted(held):
        reservation = db.session.get(Reservation, reservation_id)
        ledger.reserve(
            actor=actor,
            holder=reservation.holder,
            location_id=reservation.location_id,
            item_id=reservation.item_id,
            quantity=held[reservation_id],
        )


def _check_places_active(shipment: Shipment) -> None:
    for name, place in (("origin_id", shipment.origin), ("destination_id", shipment.destination)):
        if not place.is_active:
            raise DomainError(_("Choose an active warehouse, centre, school or camp."), field=name)
    refusal = camp_refusal(shipment.destination)
    if refusal is not None:
        raise DomainError(refusal, field="destination_id")


def _check_available(shipment: Shipment) -> None:
    """Refuse, naming item, lot, place and line, what the origin does not have available.

    A courtesy for the clerk (the field to correct); the ledger's guarded updates still decide.
    """
    wanted_lot: dict[int, int] = defaultdict(int)
    wanted_item: dict[int, int] = defaultdict(int)
    for line in shipment.lines:
        wanted_lot[line.lot_id] += line.quantity  # type: ignore[index]
        # What a reservation holds is on hand but not "available": the ledger checks it.
        if line.reservation_id is None:
            wanted_item[line.item_id] += line.quantity
    on_lot, available = origin_stock(shipment)
    place = shipment.origin.display_name(current_locale())
    problems = []
    for index, line in enumerate(shipment.lines):
        has_lot = on_lot.get(line.lot_id, 0)
        has_item = available.get(line.item_id, 0)
        short_item = wanted_item.get(line.item_id, 0) > has_item
        if wanted_lot[line.lot_id] > has_lot or short_item:  # type: ignore[index]
            message = _(
                "Not enough of %(item)s (%(lot)s) at %(place)s: %(wanted)d to send, "
                "%(available)d available.",
                item=line.item.code,
                lot=_lot_words(line.lot),
                place=place,
                wanted=wanted_lot[line.lot_id],  # type: ignore[index]
                available=has_lot if line.reservation_id else min(has_lot, has_item),
            )
            problems.append(LineProblem(line_field(index, "quantity"), message))
    if problems:
        # Every short line at once: the clerk corrects them all before dispatching again.
        raise ShortLines(problems)


class ShortLines(LineProblems, InsufficientStockError):
    """Lines the origin cannot supply, all of them (an InsufficientStockError all the same)."""


def _lot_words(lot: Lot | None) -> str:
    if lot is not None and (lot.serial or lot.code):
        return _("lot %(lot)s", lot=lot.serial or lot.code)
    return _("no lot code")
