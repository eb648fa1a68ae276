"""The navigation menu: each entry names its endpoint, label and who sees it."""

from dataclasses import dataclass

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


NAV_ITEMS: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_ROLES),
    NavItem("auth.users", _l("Users"), frozenset({Role.ADMIN})),
    NavItem("auth.password", _l("My password"), ALL_ROLES),
]


def menu_for(user: User) -> list[NavItem]:
    """The entries ``user`` may open, in menu order."""
    return [item for item in NAV_ITEMS if user.role in item.roles]
