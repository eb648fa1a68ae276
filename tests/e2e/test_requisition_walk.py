"""Browser walk of a requisition with the keyboard only: a technician raises and submits it,
logistics approves one line in part and drafts and dispatches the shipment of what waits, the
technician receives it, logistics cancels the backorder left behind and the requisition closes.

Every control is reached with Tab (after the skip link where the page starts with the menu) and
worked with typing, arrow keys and Enter: no mouse click anywhere. axe-core runs on every page.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.stock.models import ItemBalance
from tests.e2e.conftest import LiveServer, check_axe

pytestmark = pytest.mark.e2e

# True when the focused element matches the selector and, if given, starts with the text
# (a link's or button's words; a menu link may carry a badge after them).
FOCUS_IS = """([selector, text]) => {
  const e = document.activeElement;
  if (!e || !e.matches(selector)) return false;
  const words = (e.value || e.textContent || "").replace(/\\s+/g, " ").trim();
  return !text || words.startsWith(text);
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  return e ? `${e.tagName} ${e.name || e.id || ""} ${(e.textContent || e.value || "").trim()}`
           : "nothing";
}"""


def _walk_data(server: LiveServer) -> tuple[str, str]:
    """Two ordinary items (no serial, no expiry) the technician's supplying warehouse has free."""
    username = server.users[Role.TECHNICIAN][0]
    with server.app.app_context():
        centre = db.session.scalar(
            select(Location)
            .join(User, User.location_id == Location.id)
            .where(User.username == username)
        )
        assert centre is not None and centre.supplied_by_id is not None
        codes = db.session.scalars(
            select(Item.code)
            .join(ItemBalance, ItemBalance.item_id == Item.id)
            .where(
                ItemBalance.location_id == centre.supplied_by_id,
                ItemBalance.on_hand - ItemBalance.reserved >= 20,
                Item.is_active,
                ~Item.tracks_serial,
                ~Item.tracks_expiry,
            )
            .order_by(Item.id)
            .limit(2)
        ).all()
        db.session.remove()
    assert len(codes) == 2, codes
    return codes[0], codes[1]


def tab_to(page: Page, selector: str, text: str = "", most: int = 80) -> None:
    """Press Tab until the focus is on ``selector`` (with ``text``); fail after ``most``."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUS_IS, [selector, text]):
            return
    focused = page.evaluate(FOCUSED)
    raise AssertionError(f"{most} Tab did not reach {selector} {text!r}; focus on {focused}")


def skip_to_main(page: Page) -> None:
    """The first Tab on a page reaches the skip link; Enter on it puts the focus in <main>."""
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_IS, ["a.skip-link", ""]), page.evaluate(FOCUSED)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def follow(page: Page, selector: str, text: str, most: int = 80) -> None:
    """Tab to a link or button and press Enter on it, then wait for the next page."""
    tab_to(page, selector, text, most)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_sign_in(page: Page, server: LiveServer, role: Role) -> None:
    """Sign in with the keys: the login form focuses the username itself."""
    username, password = server.users[role]
    page.goto(server("/login"))
    # Chromium applies autofocus after the load event on a busy machine: wait for it, or the
    # first letters go nowhere.
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(server("/"))


def test_a_requisition_walked_with_the_keyboard_only_from_raising_to_closing(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    first, second = _walk_data(live_server)
    problems: list[str] = []

    def axe(page: Page) -> None:
        problems.extend(f"{page.url}: {v}" for v in check_axe(page))

    # 1. The technician raises two lines and submits them.
    tech = new_page()
    keyboard_sign_in(tech, live_server, Role.TECHNICIAN)
    follow(tech, "nav a", "Raise a requisition")
    expect(tech.locator("h1")).to_have_text("Raise a requisition")
    expect(tech.locator("[data-lines-keys]")).to_be_visible()  # lines.js runs: Enter, Ctrl+Enter
    axe(tech)
    skip_to_main(tech)
    tab_to(tech, "[name='lines-0-item']", most=12)
    tech.keyboard.type(first)
    tech.keyboard.press("Tab")
    tech.keyboard.type("6")
    tech.keyboard.press("Tab")
    tech.keyboard.type("new fittings")
    tech.keyboard.press("Enter")  # to the next line's item code
    assert tech.evaluate(FOCUS_IS, ["[name='lines-1-item']", ""]), tech.evaluate(FOCUSED)
    tech.keyboard.type(second)
    tech.keyboard.press("Tab")
    tech.keyboard.type("3")
    with tech.expect_navigation():
        tech.keyboard.press("Control+Enter")  # saves the draft
    expect(tech.locator("h1")).to_contain_text("Requisition REQ")
    number = tech.locator("h1").inner_text().split()[-1]
    requisition_url = tech.url.rstrip("/")
    expect(tech.locator("dl.facts")).to_contain_text("Draft")
    axe(tech)
    skip_to_main(tech)
    follow(tech, "button, input[type=submit]", "Submit for review", most=10)
    expect(tech.locator("dl.facts")).to_contain_text("Awaiting review")

    # 2. Logistics approves the first line in part, with a reason, and the second in full.
    clerk = new_page()
    keyboard_sign_in(clerk, live_server, Role.LOGISTICS)
    follow(clerk, "nav a", "Requisitions to review")
    axe(clerk)
    skip_to_main(clerk)
    follow(clerk, "main a", f"Review {number}", most=200)
    axe(clerk)
    skip_to_main(clerk)
    tab_to(clerk, "[name='lines-0-decision']", most=10)
    clerk.keyboard.press("ArrowDown")  # — decide — → Approve all → Approve less
    clerk.keyboard.press("ArrowDown")
    expect(clerk.locator("[name='lines-0-decision']")).to_have_value("reduced")
    clerk.keyboard.press("Tab")
    clerk.keyboard.type("4")
    clerk.keyboard.press("Tab")
    clerk.keyboard.type("the warehouse keeps some for the camps")
    clerk.keyboard.press("Tab")
    clerk.keyboard.press("ArrowDown")
    expect(clerk.locator("[name='lines-1-decision']")).to_have_value("approved")
    follow(clerk, "button, input[type=submit]", "Record the review", most=5)
    expect(clerk.locator("dl.facts")).to_contain_text("Approved, being sent")
    expect(clerk.locator("main")).to_contain_text("Approved in part")
    axe(clerk)

    # The shipment carries all of the first line and 2 of the second: 1 stays as a backorder.
    skip_to_main(clerk)
    follow(clerk, "main a", "Draft a shipment of what waits", most=10)
    axe(clerk)
    skip_to_main(clerk)
    tab_to(clerk, "[name='lines-0-quantity']", most=5)
    expect(clerk.locator("[name='lines-0-quantity']")).to_have_value("4")
    clerk.keyboard.press("Tab")
    clerk.keyboard.press("Control+A")
    clerk.keyboard.type("2")
    follow(clerk, "button, input[type=submit]", "Draft the shipment", most=5)
    expect(clerk.locator("h1")).to_contain_text("Shipment SHP")
    shipment = clerk.locator("h1").inner_text().split()[-1]
    axe(clerk)
    skip_to_main(clerk)
    follow(clerk, "main a", "Dispatch this shipment", most=10)
    axe(clerk)
    skip_to_main(clerk)
    tab_to(clerk, "[name='driver']", most=10)
    clerk.keyboard.type("Ri Chol")
    follow(clerk, "button, input[type=submit]", "Dispatch now", most=5)
    expect(clerk.locator("main")).to_contain_text("Ri Chol")

    # 3. The technician receives it at the centre, as sent.
    follow(tech, "nav a", "Home")
    follow(tech, "main a", shipment, most=200)
    axe(tech)
    skip_to_main(tech)
    follow(tech, "main a", "Receive this shipment", most=10)
    axe(tech)
    skip_to_main(tech)
    follow(tech, "button, input[type=submit]", "Record what arrived", most=40)
    expect(tech.locator(".flash")).to_be_visible()
    axe(tech)
    # The header's document search opens the requisition: still waiting for its backorder.
    tab_to(tech, "#document-search-number", most=10)
    tech.keyboard.type(number)
    with tech.expect_navigation():
        tech.keyboard.press("Enter")
    expect(tech.locator("h1")).to_have_text(f"Requisition {number}")
    expect(tech.locator("dl.facts")).to_contain_text("Approved, being sent")
    expect(tech.locator("main")).to_contain_text(shipment)
    axe(tech)

    # Logistics gives up the backorder with a reason: nothing else awaits, it closes.
    follow(clerk, "nav a", "Backorders")
    expect(clerk.locator("main")).to_contain_text(number)
    axe(clerk)
    skip_to_main(clerk)
    # The demo has backorders of its own: the link of this requisition's line, by its address.
    own_line = f"main a[href^='{requisition_url.removeprefix(live_server.url)}/']"
    follow(clerk, own_line, f"Cancel the backorder of {second}", most=200)
    axe(clerk)
    skip_to_main(clerk)
    tab_to(clerk, "[name='reason']", most=10)
    clerk.keyboard.type("the centre borrowed one from the camp")
    follow(clerk, "button, input[type=submit]", "Cancel the backorder", most=3)
    expect(clerk.locator("h1")).to_have_text(f"Requisition {number}")
    expect(clerk.locator("dl.facts")).to_contain_text("Closed")
    expect(clerk.locator("main")).to_contain_text("Backorder cancelled")
    axe(clerk)
    assert not problems, "\n".join(problems)
