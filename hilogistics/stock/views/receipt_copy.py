"""Copy into a new receipt: fill the receipt form from an earlier receipt or its reversal.

After reversing one wrong line of 25, the clerk keys only the correction, not the 25 lines.
"""

from flask import abort

from hilogistics.auth.access import acting_user
from hilogistics.inputs import bounded_int
from hilogistics.stock.forms_operations import MAX_LINES, ReceiptForm
from hilogistics.stock.queries import visible_transaction
from hilogistics.stock.queries.revisions import receipt_prefill

MAX_ID = 2**31 - 1


def fill_receipt_copy(form: ReceiptForm, copy_of: str) -> None:
    """Put the copied receipt's header and lines into a fresh ``form``; 404 if none to copy.

    The transaction must be visible to the user (as on its page) and be a receipt or the
    reversal of one (then only the lines it reversed are copied).
    """
    transaction_id = bounded_int(copy_of, low=1, high=MAX_ID)
    if transaction_id is None:
        abort(404)
    prefill = receipt_prefill(visible_transaction(acting_user(), transaction_id))
    if prefill is None:
        abort(404)
    form.warehouse_id.data = prefill.warehouse_id
    form.supplier.data = prefill.supplier
    form.grant_id.data = prefill.grant_id
    form.reference.data = prefill.reference
    form.note.data = prefill.note
    lines = prefill.lines[:MAX_LINES]
    while len(form.lines.entries) < len(lines):
        form.lines.append_entry()
    for entry, line in zip(form.lines.entries, lines, strict=False):
        entry.form.item.data = line.item_code
        entry.form.units.data = line.quantity
        entry.form.lot_code.data = line.lot_code
        entry.form.expires_on.data = line.expires_on
        entry.form.serials.data = "\n".join(line.serials)
