"""Browser walk of the paper loop: a technician records a distribution, prints its slip (a PDF),
then types the slip number into the header search as a scanner would and marks it returned;
the monthly summary shows it. axe-core runs on every page, and on the pre-printed slips."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock.models import Balance, Lot
from tests.e2e.conftest import LiveServer, check_axe, sign_in

pytestmark = pytest.mark.e2e


def _stock_at_technician_place(server: LiveServer) -> tuple[str, str]:
    """An item code and lot code the demo technician's place holds (no serial, not expired)."""
    username = server.users[Role.TECHNICIAN][0]
    with server.app.app_context():
        location_id = db.session.scalar(select(User.location_id).where(User.username == username))
        today = business_today()
        row = db.session.execute(
            select(Item.code, Lot.code)
            .join(Balance, Balance.item_id == Item.id)
            .join(Lot, Lot.id == Balance.lot_id)
            .where(
                Balance.location_id == location_id,
                Balance.quantity >= 2,
                Item.is_active,
                ~Item.tracks_serial,
                Lot.code.is_not(None),
                (Lot.expires_on.is_(None)) | (Lot.expires_on > today),
            )
            .order_by(Item.id, Lot.id)
            .limit(1)
        ).one()
        db.session.remove()
    return row[0], row[1]


def test_a_technician_records_prints_and_marks_a_slip_returned_by_scanning_its_number(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    item_code, lot_code = _stock_at_technician_place(live_server)
    problems: list[str] = []

    def axe(page: Page) -> None:
        problems.extend(f"{page.url}: {v}" for v in check_axe(page))

    page = new_page()
    sign_in(page, live_server, Role.TECHNICIAN)
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Record a distribution").click()
    axe(page)
    page.locator("#recipient_type").select_option("patient")
    page.locator("#recipient_ref").fill("ben-0777")
    page.locator("#service").select_option("new")
    page.locator("#side").select_option("left")
    page.locator("#lines-0-item").fill(item_code)
    page.locator("#lines-0-lot").fill(lot_code)
    page.locator("#lines-0-quantity").fill("1")
    page.get_by_role("button", name="Record the distribution").click()
    expect(page.locator("h1")).to_contain_text("Distribution DIS-")
    number = page.locator("h1").inner_text().split()[-1]
    expect(page.locator("dl.facts")).to_contain_text("BEN-0777")
    expect(page.locator("dl.facts")).to_contain_text("Slip not returned yet")
    axe(page)

    # The print button posts its form into a new tab, where Chromium's PDF viewer (with its
    # own chrome:// resources) would show it: post the same form, as the button does.
    print_form = page.locator("form", has=page.get_by_role("button", name="Print the slip"))
    printed = page.request.post(
        print_form.get_attribute("action"),
        form={"csrf_token": print_form.locator("input[name=csrf_token]").input_value()},
    )
    assert printed.status == 200
    assert printed.headers["content-type"].startswith("application/pdf")
    assert printed.body().startswith(b"%PDF-")
    assert f'filename="{number}.pdf"' in printed.headers["content-disposition"]

    # Back on the list, the signed paper comes back: its number is scanned into the header.
    menu.get_by_role("link", name="Slips not returned").click()
    expect(page.locator("main")).to_contain_text(number)
    axe(page)
    search = page.locator("#document-search-number")
    search.click()
    search.press_sequentially(number.lower(), delay=5)
    search.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Distribution {number}")
    expect(page.get_by_role("table", name="Prints")).not_to_contain_text("Not printed yet")
    page.get_by_role("button", name="Mark signed and returned").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Signed and returned")
    axe(page)
    menu.get_by_role("link", name="Slips not returned").click()
    expect(page.locator("main")).not_to_contain_text(number)

    menu.get_by_role("link", name="Monthly distribution summary").click()
    expect(page.locator("main")).to_contain_text(item_code)
    axe(page)
    menu.get_by_role("link", name="Slips printed in advance").click()
    axe(page)
    assert not problems, "\n".join(problems)
