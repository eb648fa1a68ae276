"""The navigation menu: each entry names its endpoint, label and who sees it."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

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


_MENU_CACHE = "hilogistics.menu"


def _menu_links(user: User, locale: str) -> list[tuple[str, str]]:
    """``(endpoint, '<a href="…"')`` and the escaped label of each entry ``user`` sees.

    The same for every reader of one role in one language: built once per process (the labels
    translated, the addresses built) instead of 27 ``url_for`` and translations on every page.
    """
    cache: dict[tuple[Any, ...], list[tuple[str, str]]] = current_app.extensions.setdefault(
        _MENU_CACHE, {}
    )
    key = (user.role, locale, request.script_root)
    links = cache.get(key)
    if links is None:
        links = [
            (item.endpoint, f'<a href="{escape(url_for(item.endpoint))}"', str(escape(item.label)))
            for item in menu_for(user)
        ]
        cache[key] = links
    return links


def request_badges(user: User) -> Mapping[str, Any]:
    """``main.work.menu_badges(user)``, read once per request.

    A kept page's key and its menu (pagememo) then show the same counts.
    """
    from hilogistics.main.work import menu_badges

    # Keyed by the request and the user: g can outlive one request (a test's app context).
    this_request = request._get_current_object()
    found = g.get("menu_badges")
    if found is None or found[0] is not this_request or found[1] != user.id:
        found = g.menu_badges = (this_request, user.id, menu_badges(user))
    return found[2]


_SHELL_URLS = "hilogistics.shell-urls"


def shell_urls() -> dict[str, str]:
    """The addresses base.html links to on every page, built once per process (and root path).

    Seven ``url_for`` on each page otherwise; none depends on the page or the reader.
    """
    cache: dict[str, dict[str, str]] = current_app.extensions.setdefault(_SHELL_URLS, {})
    urls = cache.get(request.script_root)
    if urls is None:
        urls = {
            "fonts_css": url_for("static", filename="css/fonts.css"),
            "app_css": url_for("static", filename="css/app.css"),
            "print_css": url_for("static", filename="css/print.css"),
            "home": url_for("main.home"),
            "find": url_for("registry.find"),
            "language": url_for("main.language"),
            "logout": url_for("auth.logout"),
        }
        cache[request.script_root] = urls
    return urls


def menu_html(user: User, locale: str, badges: Mapping[str, Any]) -> Markup:
    """The menu's list items: the current page marked, each badge with its spoken words.

    ``badges`` maps an endpoint to a ``main.work.Badge``. The markup is what base.html drew
    with a loop before (``aria-current="page"``, the count and a visually hidden text).
    """
    here = request.endpoint
    parts = []
    for endpoint, opening, label in _menu_links(user, locale):
        current = ' aria-current="page"' if endpoint == here else ""
        badge = badges.get(endpoint)
        after = (
            f' <span class="badge">{escape(badge.count_text)}'
            f'<span class="visually-hidden"> {escape(badge.text)}</span></span>'
            if badge
            else ""
        )
        parts.append(f"<li>{opening}{current}>{label}{after}</a></li>")
    # Safe: the labels, addresses and badge texts above went through escape().
    return Markup("\n      ".join(parts))  # noqa: S704
