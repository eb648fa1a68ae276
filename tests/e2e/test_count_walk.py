"""Browser walk of a count: open, the entry page, a lot found, a recount by another, post."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.locations.models import Location, LocationKind
from tests.e2e.conftest import LiveServer, check_axe, sign_in

pytestmark = pytest.mark.e2e


def _walk_data(server: LiveServer) -> tuple[int, str]:
    """An active warehouse, and an ordinary item (no expiry, no serial) to find a lot of."""
    with server.app.app_context():
        warehouse = db.session.scalar(
            select(Location.id)
            .where(Location.kind == LocationKind.WAREHOUSE, Location.is_active)
            .order_by(Location.id)
            .limit(1)
        )
        code = db.session.scalar(
            select(Item.code)
            .where(Item.is_active, ~Item.tracks_expiry, ~Item.tracks_serial)
            .order_by(Item.id)
            .limit(1)
        )
        db.session.remove()
    return warehouse, code


def test_a_count_with_a_lot_found_is_recounted_by_another_and_posted(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    warehouse, code = _walk_data(live_server)
    problems: list[str] = []

    def axe(page: Page) -> None:
        problems.extend(f"{page.url}: {v}" for v in check_axe(page))

    clerk = new_page()
    sign_in(clerk, live_server, Role.LOGISTICS)
    clerk.get_by_role("navigation", name="Main menu").get_by_role("link", name="Counts").click()
    axe(clerk)
    clerk.get_by_role("link", name="Open a count").click()
    axe(clerk)
    clerk.locator("#location_id").select_option(str(warehouse))
    clerk.get_by_role("button", name="Open the count").click()
    expect(clerk.locator("h1")).to_contain_text("Count CNT-")
    count_url = clerk.url
    axe(clerk)
    clerk.get_by_role("link", name="Key counted quantities").click()
    axe(clerk)
    last = clerk.locator("tr.line").last
    last.locator("input[name$='-item']").fill(code)
    last.locator("input[name$='-lot_code']").fill("E2E-FOUND")
    last.locator("input[name$='-counted']").fill("25")
    clerk.get_by_role("button", name="Save the counted quantities").click()
    expect(clerk.locator(".flash")).to_contain_text("1 counted lines saved")
    clerk.goto(count_url)
    expect(clerk.get_by_role("link", name="Recount 1 line")).to_be_visible()
    clerk.get_by_role("link", name="Abandon this count").click()
    axe(clerk)  # only looked at: the count goes on

    second = new_page()
    sign_in(second, live_server, Role.ADMIN)
    second.goto(count_url)
    second.get_by_role("link", name="Recount 1 line").click()
    axe(second)
    second.locator("#lines-0-counted").fill("24")
    second.get_by_role("button", name="Save the recounts").click()
    expect(second.locator(".flash")).to_contain_text("1 recounts saved")

    clerk.goto(count_url)
    clerk.get_by_role("link", name="Post the differences").click()
    axe(clerk)
    expect(clerk.locator("table")).to_contain_text("+24")
    clerk.get_by_role("button", name="Post the differences").click()
    expect(clerk.locator(".flash")).to_contain_text("Count posted")
    expect(clerk.locator("dl.facts")).to_contain_text("Posted")
    axe(clerk)
    assert not problems, "\n".join(problems)
