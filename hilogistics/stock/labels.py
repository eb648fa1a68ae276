"""How the stock enums are named in the interface: transaction kinds and sort keys."""

from flask_babel import lazy_gettext as _l

from hilogistics.stock.models import TransactionKind

TRANSACTION_KIND_LABELS = {
    TransactionKind.RECEIPT: _l("Receipt"),
    TransactionKind.ADJUSTMENT: _l("Adjustment"),
    TransactionKind.REVERSAL: _l("Reversal"),
    TransactionKind.OPENING: _l("Opening balance"),
    TransactionKind.DISPATCH: _l("Dispatch"),
    TransactionKind.ARRIVAL: _l("Arrival"),
    TransactionKind.TRANSIT_LOSS: _l("Loss in transit"),
    TransactionKind.RECALL: _l("Recall"),
    TransactionKind.DISTRIBUTION: _l("Distribution"),
    TransactionKind.CONSUMPTION: _l("Workshop use"),
    TransactionKind.COUNT: _l("Stock count"),
}
# The columns the stock-on-hand page sorts by.
SORT_LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "quantity": _l("Quantity on hand"),
    "expiry": _l("Earliest expiry"),
}
