"""Browser tests of the stock screens: tables at 320 and 1280 px, the stock card printed."""

import io
from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.stock.models import AdjustmentDirection, AdjustmentReason, Balance
from hilogistics.stock.services import adjust_stock
from tests.e2e.conftest import LiveServer, check_axe, sign_in

pytestmark = pytest.mark.e2e


# Where each row's name and quantity are, and whether anything is wider than its box.
MEASURE_JS = """() => {
    const rect = el => el.getBoundingClientRect();
    const wrap = document.querySelector('.table-wrap');
    const table = wrap.querySelector('table');
    const rows = [...table.querySelectorAll('tbody tr')].map(tr => {
        const name = rect(tr.querySelector('td.lead')), qty = rect(tr.querySelector('td.qty'));
        return {name: [name.top, name.bottom, name.right], qty: [qty.top, qty.bottom, qty.left,
                qty.right], text: tr.querySelector('td.qty').innerText};
    });
    return {page: document.documentElement.scrollWidth, box: wrap.clientWidth,
            table: table.scrollWidth, rows};
}"""


def busiest_place(server: LiveServer) -> int:
    """The demo place with the most items on hand."""
    with server.app.app_context():
        place = db.session.execute(
            select(Balance.location_id)
            .where(Balance.quantity > 0)
            .group_by(Balance.location_id)
            .order_by(func.count().desc(), Balance.location_id)
            .limit(1)
        ).scalar_one()
        db.session.remove()
    return place


def test_stock_tables_keep_the_quantity_beside_the_name_at_320_px_and_fit_at_1280_px(
    new_page: Callable[..., Page], live_server: LiveServer
) -> None:
    place = busiest_place(live_server)
    username, password = live_server.users[Role.VIEWER]
    problems = []
    for locale, lang in (("fr-FR", "fr"), ("ko-KP", "ko-KP")):
        for width in (320, 1280):
            page = new_page(viewport={"width": width, "height": 800}, locale=locale)
            page.goto(live_server("/login"))
            page.locator("#username").fill(username)
            page.locator("#password").fill(password)
            page.locator("main form [type=submit]").click()
            page.wait_for_url(live_server("/"))
            # The account remembers the language last chosen (another test may have changed
            # it): choose this one, as a reader does in the page header.
            if page.locator("html").get_attribute("lang") != lang:
                page.locator(f'.language-switch button[lang="{lang}"]').click()
                page.wait_for_load_state()
            for path in (f"/stock/locations/{place}", f"/stock/locations/{place}/reorder-levels"):
                page.goto(live_server(path))
                assert page.locator("html").get_attribute("lang") == lang
                where = f"{path} in {lang} at {width} px"
                seen = page.evaluate(MEASURE_JS)
                assert len(seen["rows"]) > 5, f"{where}: too few rows to prove anything"
                if seen["page"] > width:
                    problems.append(f"{where}: the page is {seen['page']} px wide")
                if width == 1280 and seen["table"] > seen["box"]:
                    problems.append(f"{where}: table {seen['table']} px in a {seen['box']} px box")
                for row in seen["rows"] if width == 320 else []:
                    name_top, name_bottom, _right = row["name"]
                    top, bottom, left, right = row["qty"]
                    if right > width or left < 0:
                        problems.append(f"{where}: quantity {row['text']!r} off screen")
                    elif not (top < name_bottom and bottom > name_top):
                        problems.append(f"{where}: quantity {row['text']!r} not beside the name")
                problems += [f"{where}: {v}" for v in check_axe(page)]
            # Leave the account in English, as the other tests expect to find it.
            page.locator('.language-switch button[lang="en"]').click()
            page.wait_for_load_state()
    assert not problems, "\n".join(problems)


def long_card(server: LiveServer, lines: int = 60) -> tuple[int, int]:
    """(place id, item id) of a stock card made long enough to print on several sheets.

    The demo's cards are short: a balance at a place gets ``lines`` more adjustments, found
    and damaged in turn, so that it ends where it started.
    """
    with server.app.app_context():
        physical = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
        balance = db.session.scalars(
            select(Balance)
            .where(Balance.location_id.in_(physical), Balance.quantity > 0)
            .order_by(Balance.id)
            .limit(1)
        ).one()
        reasons = {r.code: r.id for r in db.session.scalars(select(AdjustmentReason))}
        for number in range(lines):
            found = number % 2 == 0
            adjust_stock(
                actor=SYSTEM,
                location_id=balance.location_id,
                item_id=balance.item_id,
                lot_id=balance.lot_id,
                quantity=1,
                direction=AdjustmentDirection.IN if found else AdjustmentDirection.OUT,
                reason_id=reasons["found" if found else "damaged"],
                occurred_on=business_today(),
                operation_key=f"e2e-long-card-{number}",
                note="e2e: a long stock card",
            )
        place, item = balance.location_id, balance.item_id
        db.session.commit()
        db.session.remove()
    return place, item


def test_the_printed_stock_card_shows_the_closing_balance_once_after_the_last_line(
    page: Page, live_server: LiveServer
) -> None:
    place, item = long_card(live_server)
    sign_in(page, live_server, Role.VIEWER)
    # Every line on one screen page, so that the closing balance is on it and print needs
    # several sheets of A4.
    page.goto(live_server(f"/stock/locations/{place}/items/{item}?per_page=200"))
    closing = page.locator("table.data-table tfoot td.number").inner_text()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    # The PDF's fonts map spaces to \x01 for the text extractor.
    texts = [sheet.extract_text().replace("\x01", " ") for sheet in pdf.pages]
    assert len(texts) >= 2, "the card fits on one sheet: the test proves nothing"
    printed = [number for number, text in enumerate(texts, 1) if "Closing balance" in text]
    assert printed == [len(texts)], f"closing balance printed on sheets {printed} of {len(texts)}"
    assert texts[-1].rstrip().endswith(f"Closing balance {closing}")
