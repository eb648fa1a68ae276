"""How kinds of item are named in the interface (one list for every page)."""

from flask_babel import lazy_gettext as _l

from hilogistics.catalogue.models import ItemKind

KIND_LABELS = {
    ItemKind.CONSUMABLE: _l("Consumable"),
    ItemKind.EQUIPMENT: _l("Equipment"),
}
