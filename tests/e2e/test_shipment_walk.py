"""Browser walk of a shipment: draft → dispatch → the technician receives with a shortage."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import or_, select

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location, LocationKind
from hilogistics.stock.models import AdjustmentReason, Balance, Lot
from tests.e2e.conftest import LiveServer, check_axe, sign_in

pytestmark = pytest.mark.e2e


def _walk_data(server: LiveServer) -> dict[str, object]:
    """A warehouse lot of an ordinary item, the technician's centre, the "lost" reason."""
    username, _password = server.users[Role.TECHNICIAN]
    with server.app.app_context():
        centre_id = db.session.scalar(select(User.location_id).where(User.username == username))
        row = db.session.execute(
            select(Balance.location_id, Item.code, Item.id, Lot.code)
            .join(Lot, Lot.id == Balance.lot_id)
            .join(Item, Item.id == Balance.item_id)
            .join(Location, Location.id == Balance.location_id)
            .where(
                Location.kind == LocationKind.WAREHOUSE,
                Location.is_active,
                Balance.quantity >= 10,
                Item.is_active,
                ~Item.tracks_serial,
                Lot.code != "",
                or_(Lot.expires_on.is_(None), Lot.expires_on > business_today()),
            )
            .order_by(Balance.id)
            .limit(1)
        ).one()
        lost = db.session.scalar(select(AdjustmentReason.id).where(AdjustmentReason.code == "lost"))
        db.session.remove()
    warehouse_id, code, item_id, lot_code = row
    return {
        "warehouse": warehouse_id,
        "centre": centre_id,
        "code": code,
        "item": item_id,
        "lot": lot_code,
        "lost": lost,
    }


def _axe_clean(page: Page, problems: list[str]) -> None:
    problems.extend(f"{page.url}: {v}" for v in check_axe(page))


def test_draft_dispatch_and_a_receipt_with_a_shortage_show_on_the_stock_cards(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    data = _walk_data(live_server)
    problems: list[str] = []
    clerk = new_page()
    sign_in(clerk, live_server, Role.LOGISTICS)
    clerk.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="New dispatch"
    ).click()
    clerk.locator("#origin_id").select_option(str(data["warehouse"]))
    clerk.locator("#destination_id").select_option(str(data["centre"]))
    clerk.locator("#lines-0-item").fill(str(data["code"]))
    clerk.locator("#lines-0-lot").fill(str(data["lot"]))
    clerk.locator("#lines-0-quantity").fill("3")
    clerk.get_by_role("button", name="Save the draft").click()
    clerk.get_by_role("link", name="Dispatch this shipment").click()
    _axe_clean(clerk, problems)
    clerk.locator("#driver").fill("Ri Chol")
    clerk.get_by_role("button", name="Dispatch now").click()
    expect(clerk.locator("h1")).to_contain_text("Shipment SHP-")
    number = clerk.locator("h1").inner_text().split()[-1]
    expect(clerk.locator("main")).to_contain_text("Ri Chol")

    technician = new_page()
    sign_in(technician, live_server, Role.TECHNICIAN)
    technician.get_by_role("link", name=number, exact=True).click()
    technician.get_by_role("link", name="Receive this shipment").click()
    _axe_clean(technician, problems)
    expect(technician.locator("#lines-0-received")).to_have_value("3")
    technician.locator("#lines-0-received").fill("2")
    technician.locator("#lines-0-lost").fill("1")
    technician.locator("#lines-0-reason_id").select_option(str(data["lost"]))
    technician.get_by_role("button", name="Record what arrived").click()
    expect(technician.locator("main")).to_contain_text("Loss in transit")

    # The stock cards at the destination and the origin name the shipment, and link to it.
    for place, who in ((data["centre"], technician), (data["warehouse"], clerk)):
        who.goto(live_server(f"/stock/locations/{place}/items/{data['item']}"))
        link = who.get_by_role("link", name=number).first
        expect(link).to_be_visible()
    technician.get_by_role("link", name=number).first.click()
    expect(technician.locator("h1")).to_contain_text(number)
    assert not problems, "\n".join(problems)
