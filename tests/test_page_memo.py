"""The stock-on-hand page kept for identical inputs (pagememo): never stale, never another's."""

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from hilogistics import pagememo
from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.locations.models import Location, Province
from hilogistics.stock.services import set_reorder_level
from tests.conftest import sign_in
from tests.factories import make_item, make_province, make_user, make_warehouse
from tests.test_stock_pages import adjust, stock_at

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The templates the memo really rendered (a kept page is not rendered)."""
    rendered: list[str] = []
    real = pagememo.render_template

    def counting(template: str, **context: object) -> str:
        rendered.append(template)
        return real(template, **context)

    monkeypatch.setattr(pagememo, "render_template", counting)
    yield rendered


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


LOTS: dict[int, int] = {}


def _place(items: int = 2) -> tuple[Location, list[Item]]:
    """A warehouse holding 3, 4… of new items (their lots in LOTS by item id)."""
    warehouse = make_warehouse(name="Depot Nord")
    stocked = [make_item() for _ in range(items)]
    for quantity, item in enumerate(stocked, start=3):
        LOTS[item.id] = stock_at(warehouse, item, quantity)
    db.session.commit()
    return warehouse, stocked


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    sign_in(client, user)
    return client


def test_a_kept_page_is_the_rendered_page_with_each_sessions_own_token(
    app: Flask, app_factory: Callable[..., Flask], renders: list[str]
) -> None:
    """Two sessions of one reader: the second is served the kept copy, with its own token,
    and that copy is the very page a render without the memo gives."""
    warehouse, _items = _place()
    user = make_user(Role.LOGISTICS)
    url = f"/stock/locations/{warehouse.id}"
    first, second = _signed_in(app, user), _signed_in(app, user)
    page_one, page_two = _get(first, url), _get(second, url)
    assert renders == ["stock/on_hand.html"]  # the second was kept
    tokens_one, tokens_two = TOKEN.findall(page_one), TOKEN.findall(page_two)
    assert len(tokens_one) == 2 and len(set(tokens_one)) == 1  # language switch, sign out
    assert len(tokens_two) == 2 and set(tokens_one) != set(tokens_two)
    assert page_two.replace(tokens_two[0], "T") == page_one.replace(tokens_one[0], "T")
    assert "\x00" not in page_two
    unkept = app_factory(PAGE_MEMO_ENTRIES=0)
    assert pagememo.memo_for(unkept) is None
    page_three = _get(_signed_in(unkept, user), url)
    token_three = TOKEN.findall(page_three)[0]
    assert page_three.replace(token_three, "T") == page_one.replace(tokens_one[0], "T")


def test_a_kept_pages_token_is_accepted_for_its_own_session_only(
    app: Flask, app_factory: Callable[..., Flask]
) -> None:
    """With CSRF checked: the token in a kept copy switches the language of its own session;
    the first session's token is refused in the second's."""
    warehouse, _items = _place()
    user = make_user(Role.LOGISTICS)
    checked = app_factory(WTF_CSRF_ENABLED=True)
    url = f"/stock/locations/{warehouse.id}"
    first, second = _signed_in(checked, user), _signed_in(checked, user)
    token_one = TOKEN.findall(_get(first, url))[0]
    token_two = TOKEN.findall(_get(second, url))[0]
    refused = second.post("/language", data={"csrf_token": token_one, "locale": "fr", "next": url})
    assert refused.status_code != 302
    assert "Stock on hand at" in _get(second, url)
    switched = second.post("/language", data={"csrf_token": token_two, "locale": "fr", "next": url})
    assert switched.status_code == 302
    assert 'lang="fr"' in _get(second, url)


def test_every_input_of_the_key_changes_the_page(app: Flask, renders: list[str]) -> None:
    """Another reader, language, filter, page, and a changed quantity, name or level after a
    write: each shows on the next request, never a copy kept from before."""
    warehouse, (first_item, second_item) = _place()
    alice = make_user(Role.LOGISTICS, display_name="Alice Kept")
    bob = make_user(Role.LOGISTICS, display_name="Bob Fresh")
    url = f"/stock/locations/{warehouse.id}"
    client = _signed_in(app, alice)
    assert "Alice Kept" in _get(client, url)
    page = _get(_signed_in(app, bob), url)
    assert "Bob Fresh" in page and "Alice Kept" not in page
    db.session.execute(update(User).where(User.id == alice.id).values(display_name="Alice Renamed"))
    db.session.commit()
    page = _get(client, url)
    assert "Alice Renamed" in page and "Alice Kept" not in page

    client.post("/language", data={"locale": "fr", "next": url})
    assert 'lang="fr"' in _get(client, url)
    client.post("/language", data={"locale": "en", "next": url})
    page = _get(client, url)
    assert 'lang="en"' in page and first_item.code in page and second_item.code in page

    filtered = _get(client, f"{url}?q={second_item.code}")
    assert second_item.code in filtered and first_item.code not in filtered
    assert first_item.code in _get(client, f"{url}?per_page=1&page=1")
    second_page = _get(client, f"{url}?per_page=1&page=2")
    assert second_item.code in second_page and first_item.code not in second_page

    rendered = len(renders)
    _get(client, url)
    assert len(renders) == rendered  # kept: the same inputs as before

    adjust(warehouse, first_item, LOTS[first_item.id], 1)
    db.session.commit()
    assert _quantity_cell(_get(client, url), first_item.code) == "2"

    db.session.execute(update(Item).where(Item.id == second_item.id).values(name="Renamed soap"))
    db.session.commit()
    assert "Renamed soap" in _get(client, url)

    set_reorder_level(
        actor=SYSTEM, location_id=warehouse.id, item_id=second_item.id, minimum=40, maximum=None
    )
    db.session.commit()
    page = _get(client, url)
    assert "Below minimum" in page and ">40<" in page

    db.session.execute(update(Location).where(Location.id == warehouse.id).values(name="Depot Sud"))
    db.session.commit()
    assert "Stock on hand at Depot Sud" in _get(client, url)


def test_a_changed_french_place_or_province_name_shows_at_once_in_french(
    app: Flask, renders: list[str]
) -> None:
    """The page read in French shows the place and its province by their French names; a new
    French name (the key's place heading carries them) shows on the next request."""
    warehouse, _items = _place()
    province = make_province(name="Test province", name_fr="Province du Nord")
    warehouse.province, warehouse.name_fr = province, "Dépôt du Nord"
    db.session.commit()
    url = f"/stock/locations/{warehouse.id}"
    client = _signed_in(app, make_user(Role.LOGISTICS))
    client.post("/language", data={"locale": "fr", "next": url})
    page = _get(client, url)
    assert "Dépôt du Nord" in page and "Province du Nord" in page and "Depot Nord" not in page
    rendered = len(renders)
    _get(client, url)
    assert len(renders) == rendered  # kept

    db.session.execute(
        update(Location).where(Location.id == warehouse.id).values(name_fr="Dépôt du Sud")
    )
    db.session.commit()
    page = _get(client, url)
    assert "Dépôt du Sud" in page and "Dépôt du Nord" not in page
    db.session.execute(
        update(Province).where(Province.id == province.id).values(name_fr="Province du Sud")
    )
    db.session.commit()
    page = _get(client, url)
    assert "Province du Sud" in page and "Province du Nord" not in page


def _quantity_cell(page: str, code: str) -> str:
    row = page.split(f">{code}</a></td>", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="number qty"[^>]*>([^<]*)</td>', row)[0]


def test_flashes_and_form_errors_always_show(app: Flask, renders: list[str]) -> None:
    """A flashed message shows once, on its page; a bad filter's error on every request."""
    warehouse, _items = _place()
    client = _signed_in(app, make_user(Role.LOGISTICS))
    url = f"/stock/locations/{warehouse.id}"
    _get(client, url)
    _get(client, url)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Levels saved for you.")]
    assert "Levels saved for you." in _get(client, url)
    assert "Levels saved for you." not in _get(client, url)
    for _ in range(2):
        page = _get(client, f"{url}?days=many")
        assert 'id="error-summary"' in page
    kept = pagememo.memo_for(app)
    assert kept is not None
    assert all("error-summary" not in "".join(parts) for parts in kept.entries.values())


def test_the_memo_keeps_at_most_its_size(app_factory: Callable[..., Flask], app: Flask) -> None:
    """A bound on memory: the least recently used pages go first."""
    warehouse, _items = _place()
    small = app_factory(PAGE_MEMO_ENTRIES=2)
    client = _signed_in(small, make_user(Role.LOGISTICS))
    url = f"/stock/locations/{warehouse.id}"
    for days in range(5):
        _get(client, f"{url}?days={days}")
    kept = pagememo.memo_for(small)
    assert kept is not None and len(kept.entries) == 2


def test_the_memo_is_off_in_debug(app_factory: Callable[..., Flask]) -> None:
    """An edited template shows at once while developing: nothing is kept."""
    assert pagememo.memo_for(app_factory(DEBUG=True)) is None
    assert pagememo.memo_for(app_factory(TEMPLATES_AUTO_RELOAD=True)) is None
