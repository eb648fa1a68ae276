"""Reads for correcting what was recorded: reversed lines, a receipt to copy, a lot's history."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from hilogistics.db import db
from hilogistics.stock.models import (
    LotExpiryCorrection,
    Movement,
    StockTransaction,
    TransactionKind,
)


def reversed_lines(transaction: StockTransaction) -> dict[int, int]:
    """The transaction's lines already reversed: movement id → id of the reversing transaction."""
    ids = [m.id for m in transaction.movements]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Movement.reverses_movement_id, Movement.transaction_id).where(
            Movement.reverses_movement_id.in_(ids)
        )
    )
    return {undone: by for undone, by in rows}


@dataclass
class PrefillLine:
    """One line of a receipt to key again: item code, quantity, lot, expiry, serials."""

    item_code: str
    quantity: int
    lot_code: str
    expires_on: date | None
    serials: list[str] = field(default_factory=list)


@dataclass
class ReceiptPrefill:
    """What a new receipt copies from an earlier one: its header and the lines to key again."""

    warehouse_id: int | None
    supplier: str
    grant_id: int | None
    reference: str
    note: str
    lines: list[PrefillLine]


def receipt_prefill(transaction: StockTransaction) -> ReceiptPrefill | None:
    """A receipt's header and lines, or a reversal's receipt with the lines it took back.

    None when the transaction is neither a receipt nor a reversal of one. Serial lots of one
    item and lot code make one line with every serial number.
    """
    if transaction.kind is TransactionKind.RECEIPT:
        receipt, movements = transaction, transaction.movements
    elif (
        transaction.kind is TransactionKind.REVERSAL
        and transaction.reverses is not None
        and transaction.reverses.kind is TransactionKind.RECEIPT
    ):
        receipt, movements = transaction.reverses, transaction.movements
    else:
        return None
    lines: list[PrefillLine] = []
    serial_lines: dict[tuple[int, str], PrefillLine] = {}
    for movement in movements:
        lot = movement.lot
        if lot.serial is not None:
            key = (movement.item_id, lot.code)
            line = serial_lines.get(key)
            if line is None:
                line = PrefillLine(movement.item.code, 0, lot.code, lot.expires_on)
                serial_lines[key] = line
                lines.append(line)
            line.quantity += movement.quantity
            line.serials.append(lot.serial)
        else:
            lines.append(
                PrefillLine(movement.item.code, movement.quantity, lot.code, lot.expires_on)
            )
    return ReceiptPrefill(
        warehouse_id=receipt.location_id,
        supplier=receipt.supplier or "",
        grant_id=receipt.grant_id,
        reference=receipt.reference or "",
        note=receipt.note or "",
        lines=lines,
    )


def expiry_corrections(lot_id: int) -> list[LotExpiryCorrection]:
    """A lot's expiry corrections, newest first."""
    return list(
        db.session.scalars(
            select(LotExpiryCorrection)
            .where(LotExpiryCorrection.lot_id == lot_id)
            .order_by(LotExpiryCorrection.recorded_at.desc(), LotExpiryCorrection.id.desc())
        )
    )
