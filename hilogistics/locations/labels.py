"""How each kind of location is named and explained in the interface (one list for every page)."""

from flask_babel import lazy_gettext as _l

from hilogistics.locations.models import LocationKind

KIND_LABELS = {
    LocationKind.WAREHOUSE: _l("Warehouse"),
    LocationKind.CENTRE: _l("Orthopaedic fitting centre or clinic"),
    LocationKind.SCHOOL: _l("Special school"),
    LocationKind.CAMP: _l("Mobile rehabilitation camp"),
    LocationKind.SUPPLIER: _l("Suppliers and donors"),
    LocationKind.TRANSIT: _l("In transit"),
    LocationKind.RECIPIENTS: _l("Recipients"),
    LocationKind.LOSS: _l("Losses"),
    LocationKind.COUNT: _l("Stock-take differences"),
}

# What each virtual location stands for, shown beside them on the locations page.
VIRTUAL_PURPOSES = {
    LocationKind.SUPPLIER: _l("Where received goods come from: suppliers and donors."),
    LocationKind.TRANSIT: _l("Goods dispatched and not yet received."),
    LocationKind.RECIPIENTS: _l("Goods distributed to people or consumed."),
    LocationKind.LOSS: _l("Goods damaged, expired, lost or stolen."),
    LocationKind.COUNT: _l("Differences found by stock-takes."),
}
