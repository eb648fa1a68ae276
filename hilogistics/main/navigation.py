"""The navigation menu: each entry names its endpoint, label and who sees it."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from hilogistics.auth.access import ALL_ROLES
from hilogistics.auth.models import Role, User


@dataclass(frozen=True)
class NavItem:
    """One menu entry; shown to the roles listed (which should match the view's policy)."""

    endpoint: str
    label: LazyString
    roles: frozenset[Role]


_ADMIN = frozenset({Role.ADMIN})
_STAFF = frozenset({Role.ADMIN, Role.LOGISTICS})
_READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})
_RECORDERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN})

NAV_ITEMS: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_ROLES),
    NavItem("stock.index", _l("Stock"), ALL_ROLES),
    NavItem("stock.transactions", _l("Transactions"), ALL_ROLES),
    NavItem("shipments.index", _l("Shipments"), ALL_ROLES),
    NavItem("shipments.draft_new", _l("New dispatch"), _STAFF),
    NavItem("shipments.pipeline", _l("Expected consignments"), _READERS),
    NavItem("shipments.plan_new", _l("Plan a consignment"), _STAFF),
    NavItem("stock.receipt_new", _l("Record a receipt"), _STAFF),
    NavItem("distributions.index", _l("Distributions"), ALL_ROLES),
    NavItem("distributions.new", _l("Record a distribution"), _RECORDERS),
    NavItem("distributions.unreturned", _l("Slips not returned"), ALL_ROLES),
    NavItem("distributions.preprinted", _l("Slips printed in advance"), ALL_ROLES),
    NavItem("distributions.summary", _l("Monthly distribution summary"), ALL_ROLES),
    NavItem("requisitions.index", _l("Requisitions"), ALL_ROLES),
    NavItem("requisitions.new", _l("Raise a requisition"), _RECORDERS),
    NavItem("requisitions.queue", _l("Requisitions to review"), _STAFF),
    NavItem("requisitions.backorders", _l("Backorders"), ALL_ROLES),
    NavItem("counts.index", _l("Counts"), ALL_ROLES),
    NavItem("camps.index", _l("Camps"), ALL_ROLES),
    NavItem("reports.index", _l("Reports"), ALL_ROLES),
    NavItem("stock.grants", _l("Grants"), _READERS),
    NavItem("catalogue.items", _l("Items"), _READERS),
    NavItem("catalogue.categories", _l("Categories"), _READERS),
    NavItem("catalogue.units", _l("Units"), _READERS),
    NavItem("locations.index", _l("Locations"), _ADMIN),
    NavItem("locations.provinces", _l("Provinces"), _ADMIN),
    NavItem("auth.users", _l("Users"), _ADMIN),
    NavItem("history.search", _l("Change history"), _ADMIN),
    NavItem("auth.password", _l("My password"), ALL_ROLES),
]


def menu_for(user: User) -> list[NavItem]:
    """The entries ``user`` may open, in menu order."""
    return [
        item
        for item in NAV_ITEMS
        if user.role in item.roles and item.endpoint in current_app.view_functions
    ]
