"""How record types, actions and fields of the change history are named in the interface."""

from flask_babel import lazy_gettext as _l

RECORD_TYPE_LABELS = {
    "item": _l("Item"),
    "category": _l("Category"),
    "unit": _l("Unit"),
    "location": _l("Location"),
    "province": _l("Province"),
    "grant": _l("Grant"),
    "reorder_level": _l("Reorder level"),
    "account": _l("Account"),
}

ACTION_LABELS = {
    "created": _l("Created"),
    "changed": _l("Changed"),
    "deleted": _l("Deleted"),
}

FIELD_LABELS = {
    "code": _l("Code"),
    "name": _l("Name (English)"),
    "name_ko": _l("Name (Korean)"),
    "name_fr": _l("Name (French)"),
    "category_id": _l("Category"),
    "unit_id": _l("Unit of issue"),
    "pack_size": _l("Pack size"),
    "kind": _l("Kind"),
    "tracks_expiry": _l("Tracks expiry dates"),
    "tracks_serial": _l("Tracks serial numbers"),
    "family": _l("Product family"),
    "is_active": _l("Active"),
    "parent_id": _l("Parent category"),
    "sort_order": _l("Sort order"),
    "province_id": _l("Province"),
    "supplied_by_id": _l("Supplying warehouse"),
    "target_months": _l("Target months of stock"),
    "donor": _l("Donor"),
    "title": _l("Title"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "minimum": _l("Minimum"),
    "maximum": _l("Maximum"),
    "username": _l("Username"),
    "display_name": _l("Display name"),
    "role": _l("Role"),
    "location_id": _l("Location"),
    "password": _l("Password"),
}
