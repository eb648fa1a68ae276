"""The home page per role: today's work panels, their counts and links, the month's figures."""

import re
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from hilogistics import readcache
from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.counts.services import open_count
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import FittingService, RecipientType, Side
from hilogistics.distributions.services import LineInput, Recipient, record_distribution
from hilogistics.main import work
from hilogistics.requisitions.models import LineDecision
from hilogistics.requisitions.services import (
    LineReview,
    RequestLine,
    create_requisition,
    review_requisition,
    submit_requisition,
)
from hilogistics.shipments.services import (
    DraftLine,
    Header,
    LineReceipt,
    plan_consignment,
    receive_shipment,
)
from hilogistics.stock.queries.attention import expiring_count_query
from hilogistics.stock.services import correct_lot_expiry, set_reorder_level
from tests.conftest import sign_in
from tests.factories import (
    dispatch,
    make_dispatch,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
)

TODAY = business_today()
READER_PANELS = {
    "to-review",
    "backorders",
    "to-dispatch",
    "consignments",
    "partly-received",
    "below-minimum",
    "expiring",
    "unreturned-late",
    "counts-open",
}


class World:
    """A warehouse and two centres, with one or more of each kind of work waiting."""

    def __init__(self) -> None:
        self.warehouse = make_warehouse(code="HOME-WH")
        self.north = make_location(code="HOME-N", supplied_by_id=self.warehouse.id)
        self.south = make_location(code="HOME-S", supplied_by_id=self.warehouse.id)
        syrup = make_item(code="HOME-SYR", name="Syrup", tracks_expiry=True)
        crutch = make_item(code="HOME-CRU", name="Crutch")
        splint = make_item(code="HOME-SPL", name="Splint")
        # Two lots on the warehouse's shelf: one expiring in 10 days, one expired (corrected).
        receive(syrup, 50, self.warehouse, lot_code="SOON", expires_on=TODAY + timedelta(days=10))
        old = receive(
            syrup,
            5,
            self.warehouse,
            lot_code="OLD",
            expires_on=TODAY + timedelta(days=200),
            occurred_on=TODAY - timedelta(days=20),
        ).movements[0]
        correct_lot_expiry(
            actor=SYSTEM, lot_id=old.lot_id, expires_on=TODAY - timedelta(days=5), reason="label"
        )
        # A lot far from expiry: not listed.
        receive(syrup, 5, self.warehouse, lot_code="FAR", expires_on=TODAY + timedelta(days=400))
        crutches = receive(crutch, 20, self.warehouse).movements[0].lot
        for centre in (self.north, self.south):
            delivered = make_dispatch(self.warehouse, centre, [(crutch, crutches, 10)])
            dispatch(delivered)
            receive_shipment(
                actor=SYSTEM,
                shipment_id=delivered.id,
                lines=[LineReceipt(line_id=delivered.lines[0].id, received=10)],
                received_on=TODAY,
                operation_key=operation_key(),
            )
        north_crutches = south_crutches = crutches
        splints = receive(splint, 30, self.warehouse).movements[0].lot
        # Below minimum: syrup at the warehouse (60 < 100), crutches at each centre (10 < 20),
        # crutches at the warehouse (none at all < 1). Splints at the warehouse are above.
        for place, item, minimum in (
            (self.warehouse, syrup, 100),
            (self.north, crutch, 20),
            (self.south, crutch, 20),
            (self.warehouse, crutch, 1),
            (self.warehouse, splint, 5),
        ):
            set_reorder_level(
                actor=SYSTEM, location_id=place.id, item_id=item.id, minimum=minimum, maximum=None
            )
        # Shipments: a draft to the north, one dispatched to the south, one partly received
        # in the north.
        self.draft = make_dispatch(self.warehouse, self.north, [(splint, splints, 2)])
        self.to_south = make_dispatch(self.warehouse, self.south, [(splint, splints, 3)])
        dispatch(self.to_south)
        self.partly = make_dispatch(self.warehouse, self.north, [(splint, splints, 4)])
        dispatch(self.partly)
        receive_shipment(
            actor=SYSTEM,
            shipment_id=self.partly.id,
            lines=[LineReceipt(line_id=self.partly.lines[0].id, received=1)],
            received_on=TODAY,
            operation_key=operation_key(),
        )
        self.plan = plan_consignment(
            actor=SYSTEM,
            destination_id=self.warehouse.id,
            lines=[DraftLine(item_id=splint.id, quantity=1)],
            header=Header(supplier="UNICEF", expected_on=TODAY - timedelta(days=3)),
        )
        # Slips: at the north one 40 days old and one of today (the same patient), at the south
        # a class of seven today.
        self.late_slip = self._slip(self.north, north_crutches, TODAY - timedelta(days=40))
        self.north_slip = self._slip(self.north, north_crutches, TODAY)
        self.south_slip = record_distribution(
            actor=SYSTEM,
            location_id=self.south.id,
            distributed_on=TODAY,
            recipient=Recipient(
                type=RecipientType.CLASS, reference="CLS-01", headcounts={"girls": 3, "boys": 4}
            ),
            lines=[LineInput(crutch.id, south_crutches.id, 2)],
            operation_key=operation_key(),
        )
        # Requisitions: the north's waits for review; the south's is approved and not yet
        # sent (a backorder of two splints).
        self.north_request = self._request(self.north, splint, 3)
        self.south_request = self._request(self.south, splint, 2)
        review_requisition(
            actor=SYSTEM,
            requisition_id=self.south_request.id,
            reviews=[LineReview(self.south_request.lines[0].id, LineDecision.APPROVED)],
        )
        self.north_count = open_count(actor=SYSTEM, location_id=self.north.id)
        self.warehouse_count = open_count(actor=SYSTEM, location_id=self.warehouse.id)
        db.session.commit()

    def _request(self, place, item, quantity):  # noqa: ANN001, ANN202 - a test helper
        requisition = create_requisition(
            actor=SYSTEM, location_id=place.id, lines=[RequestLine(item.id, quantity, "use")]
        )
        return submit_requisition(actor=SYSTEM, requisition_id=requisition.id)

    def _slip(self, place, lot, day):  # noqa: ANN001, ANN202 - a test helper
        return record_distribution(
            actor=SYSTEM,
            location_id=place.id,
            distributed_on=day,
            recipient=Recipient(
                type=RecipientType.PATIENT,
                reference="BEN-0001",
                service=FittingService.NEW,
                side=Side.LEFT,
            ),
            lines=[LineInput(lot.item_id, lot.id, 1)],
            operation_key=operation_key(),
        )


def client_as(app: Flask, role: Role, **user: object) -> tuple[FlaskClient, User]:
    client = app.test_client()
    made = make_user(role, **user)
    sign_in(client, made)
    db.session.commit()
    return client, made


def panel_counts(body: str) -> dict[str, int]:
    """Each panel's id and the count in its heading."""
    found = re.findall(r'<h3 id="work-([a-z-]+)">.*?<span class="work-count">\((\d+)\)', body)
    return {panel: int(count) for panel, count in found}


def panel_html(body: str, panel: str) -> str:
    start = body.index(f'id="panel-{panel}"')
    return body[start : body.index("</section>", start)]


def test_logistics_see_every_list_with_its_count(app: Flask) -> None:
    world = World()
    client, _user = client_as(app, Role.LOGISTICS)
    body = client.get("/").get_data(as_text=True)
    assert panel_counts(body) == {
        "to-review": 1,
        "backorders": 1,
        "to-dispatch": 1,
        "consignments": 1,
        "partly-received": 1,
        "below-minimum": 4,
        "expiring": 2,
        "unreturned-late": 1,
        "counts-open": 2,
    }
    assert world.draft.number in panel_html(body, "to-dispatch")
    assert world.north_request.number in panel_html(body, "to-review")
    assert f"/requisitions/{world.north_request.id}/review" in panel_html(body, "to-review")
    # Submitted on the business day, shown as a day (not the stored UTC moment).
    assert f"submitted {TODAY.isoformat()}<" in panel_html(body, "to-review")
    assert world.south_request.number in panel_html(body, "backorders")
    assert "2 to send" in panel_html(body, "backorders")
    assert re.search(
        r'href="/requisitions/review">Requisitions to review <span class="badge">1', body
    )
    assert "Overdue" in panel_html(body, "consignments")
    assert world.partly.number in panel_html(body, "partly-received")
    expiring = panel_html(body, "expiring")
    assert "lot SOON" in expiring and "lot OLD" in expiring and "lot FAR" not in expiring
    assert expiring.index("lot OLD") < expiring.index("lot SOON")  # expired first
    assert "HOME-SPL" not in panel_html(body, "below-minimum")
    late = panel_html(body, "unreturned-late")
    assert world.late_slip.number in late and world.north_slip.number not in late
    # Logistics act from the list: dispatch the draft, enter a count.
    assert f"/shipments/{world.draft.id}/dispatch" in body
    assert f"/counts/{world.north_count.id}/enter" in body
    assert "Programme figures" not in body
    # Badges: the late slips and the expected consignments, with words for screen readers.
    assert re.search(
        r'href="/distributions/unreturned">Slips not returned <span class="badge">1'
        r'<span class="visually-hidden"> not returned for more than 30 days</span>',
        body,
    )
    assert re.search(
        r'href="/shipments/consignments">Expected consignments <span class="badge">1', body
    )


def test_each_see_all_link_lists_the_same_count(app: Flask) -> None:
    World()
    client, _user = client_as(app, Role.LOGISTICS)
    body = client.get("/").get_data(as_text=True)
    # The count is in the panel's heading; the link under it opens the whole list.
    pairs = re.findall(
        r'<span class="work-count">\((\d+)\)</span>.*?'
        r'<p class="work-all"><a href="([^"]+)">Open the whole list',
        body,
        re.S,
    )
    links = [(url, count) for count, url in pairs]
    assert len(links) == len(READER_PANELS)
    assert "See all" not in body  # "See all 0" read oddly; the count is in the heading
    for url, count in links:
        url = url.replace("&amp;", "&")
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        # Every list page says its total (a caption or the pagination) or shows every row.
        if count != "0":
            assert (
                f"({count})" in text
                or f"{count} in all" in text
                or url.startswith(("/shipments", "/counts", "/distributions", "/requisitions"))
            ), url


def test_a_technician_sees_only_their_place(app: Flask) -> None:
    world = World()
    north, _user = client_as(app, Role.TECHNICIAN, location=world.north)
    body = north.get("/").get_data(as_text=True)
    assert panel_counts(body) == {
        "awaiting-receipt": 1,
        "your-requisitions": 1,
        "backorders-here": 0,
        "below-minimum-here": 1,
        "unreturned-here": 2,
        "counts-open": 1,
    }
    assert world.north_request.number in panel_html(body, "your-requisitions")
    assert world.partly.number in body and f"/shipments/{world.partly.id}/receive" in body
    for elsewhere in (
        world.to_south.number,
        world.south_slip.number,
        world.warehouse_count.number,
        world.draft.number,
        world.south_request.number,
        "HOME-SYR",
    ):
        assert elsewhere not in body
    assert re.search(r'href="/shipments">Shipments <span class="badge">1', body)
    assert re.search(
        r'href="/distributions/unreturned">Slips not returned <span class="badge">2', body
    )

    south, _user = client_as(app, Role.TECHNICIAN, location=world.south)
    body = south.get("/").get_data(as_text=True)
    assert panel_counts(body) == {
        "awaiting-receipt": 1,
        "your-requisitions": 1,
        "backorders-here": 1,
        "below-minimum-here": 1,
        "unreturned-here": 1,
        "counts-open": 0,
    }
    assert world.south_request.number in panel_html(body, "backorders-here")
    assert world.north_request.number not in body
    assert world.to_south.number in body and world.partly.number not in body
    assert world.late_slip.number not in body
    # Every link of the panels opens for the technician.
    panels = "".join(panel_html(body, panel) for panel in panel_counts(body))
    for url in set(re.findall(r'href="([^"]+)"', panels)):
        assert south.get(url.replace("&amp;", "&")).status_code == 200, url


def test_viewers_and_administrators_read_the_figures_and_lists_without_actions(
    app: Flask,
) -> None:
    world = World()
    for role in (Role.VIEWER, Role.ADMIN):
        client, _user = client_as(app, role)
        body = client.get("/").get_data(as_text=True)
        assert set(panel_counts(body)) == READER_PANELS
        assert "work-action" not in body
        # Every "see all" opens for them (a viewer reads the submitted requisitions, not the
        # review queue).
        for url in re.findall(r'<p class="work-all"><a href="([^"]+)">', body):
            assert client.get(url.replace("&amp;", "&")).status_code == 200, (role, url)
        assert f"/shipments/{world.draft.id}/dispatch" not in body
        figures = body[body.index('id="figures-heading"') : body.index('class="work-panel"')]
        # This month: patient BEN-0001 once, a class of seven; 1 + 2 units; two centres.
        assert re.search(r"People served</dt><dd>8<", figures)
        assert re.search(r"Items distributed \(units\)</dt><dd>3<", figures)
        assert re.search(r"Places reached</dt><dd>2<", figures)


def test_the_home_page_headings_are_in_order(app: Flask) -> None:
    World()
    client, _user = client_as(app, Role.ADMIN)
    body = client.get("/").get_data(as_text=True)
    main = body[body.index("<main") :]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_the_lists_across_places_filter_by_place(app: Flask) -> None:
    world = World()
    client, _user = client_as(app, Role.VIEWER)
    everywhere = client.get("/stock/below-minimum").get_data(as_text=True)
    assert "(4)" in everywhere
    north = client.get(f"/stock/below-minimum?location={world.north.id}").get_data(as_text=True)
    assert "(1)" in north and "HOME-SYR" not in north
    expiring = client.get(f"/stock/expiring?location={world.warehouse.id}&days=5").text
    assert "(1)" in expiring and "OLD" in expiring and "SOON" not in expiring
    late = client.get("/distributions/unreturned?days=30").get_data(as_text=True)
    assert world.late_slip.number in late and world.north_slip.number not in late
    technician, _user = client_as(app, Role.TECHNICIAN, location=world.north)
    assert technician.get("/stock/expiring").status_code == 403


def test_big_counts_stop_at_a_thousand(app: Flask) -> None:
    World()
    assert work.count_text(999) == "999" and work.count_text(1000) == "999+"
    everything = expiring_count_query(today=TODAY)
    capped = expiring_count_query(today=TODAY, at_most=1)
    assert db.session.scalar(everything) == 2 and db.session.scalar(capped) == 1


def test_the_home_page_statements_do_not_grow_with_the_work(
    app: Flask, count_queries: Callable[[], list[str]]
) -> None:
    world = World()
    client, _user = client_as(app, Role.LOGISTICS)
    before = len(count_queries())
    client.get("/")
    first = len(count_queries()) - before
    # More of every kind: slips, a draft, a count elsewhere.
    lot = world.late_slip.all_lines[0].lot
    for days in (35, 45, 50):
        world._slip(world.north, lot, TODAY - timedelta(days=days))
    open_count(actor=SYSTEM, location_id=world.south.id)
    db.session.commit()
    before = len(count_queries())
    body = client.get("/").get_data(as_text=True)
    assert len(count_queries()) - before == first
    assert panel_counts(body)["unreturned-late"] == 4 and panel_counts(body)["counts-open"] == 3


def _slips_badge(body: str) -> int | None:
    found = re.search(
        r'href="/distributions/unreturned">Slips not returned <span class="badge">(\d+)', body
    )
    return int(found.group(1)) if found else None


def test_the_menu_badges_are_reused_between_pages_but_follow_the_readers_own_write(
    app: Flask,
) -> None:
    """The badges are counted once per role and place for up to readcache.TTL_S seconds (issue
    13: not on every page); a write shows at once, even where another worker kept older counts."""
    world = World()
    client, _user = client_as(app, Role.TECHNICIAN, location=world.north)
    stock_page = f"/stock/locations/{world.north.id}"  # a page without panels
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 2
    cache = app.extensions["hilogistics.readcache"]
    before_write = dict(cache.entries)
    [key] = [key for key in before_write if key[0] == "menu badges"]
    started, counts = before_write[key]

    # Reused: counts kept from an earlier page are shown as they were (here made up: 7).
    cache.entries[key] = (started, {**counts, "unreturned-here": 7})
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 7
    # ...for TTL_S seconds at most, then counted again.
    cache.entries[key] = (started - readcache.TTL_S - 1, {**counts, "unreturned-here": 7})
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 2

    # The reader's own write: the next page counts afresh.
    returned = client.post(
        f"/distributions/{world.late_slip.id}/returned", data={"returned_on": TODAY.isoformat()}
    )
    assert returned.status_code == 302
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 1
    # Another worker still holding the counts read before the write: not shown to this reader
    # (their session carries the time of their last write).
    cache.entries.clear()
    cache.entries.update(before_write)
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 1
    # A write committed anywhere in this process (a service, a script) empties the cache.
    assert cache.entries
    world._slip(world.north, world.late_slip.all_lines[0].lot, TODAY)
    db.session.commit()
    assert not cache.entries
    assert _slips_badge(client.get(stock_page).get_data(as_text=True)) == 2
    # The home page counts afresh, and its menu shows the same numbers as its panels.
    cache.entries[key] = (time.time(), {**counts, "unreturned-here": 7})
    home = client.get("/").get_data(as_text=True)
    assert panel_counts(home)["unreturned-here"] == 2 and _slips_badge(home) == 2


def test_a_technicians_requisition_status_reads_in_their_language(app: Flask) -> None:
    world = World()
    north, user = client_as(app, Role.TECHNICIAN, location=world.north)
    user.locale = "fr"
    db.session.commit()
    panel = panel_html(north.get("/").get_data(as_text=True), "your-requisitions")
    assert "En attente d’examen" in panel and "Awaiting review" not in panel


def test_a_consignment_received_in_part_says_when_it_last_arrived(app: Flask) -> None:
    # An inbound consignment is never dispatched: "dispatched —" told logistics nothing.
    world = World()
    item = make_item()
    plan = plan_consignment(
        actor=SYSTEM,
        destination_id=world.warehouse.id,
        lines=[DraftLine(item_id=item.id, quantity=10)],
        header=Header(supplier="ICRC"),
    )
    receive_shipment(
        actor=SYSTEM,
        shipment_id=plan.id,
        lines=[LineReceipt(line_id=plan.lines[0].id, received=4)],
        received_on=TODAY,
        operation_key=operation_key(),
    )
    db.session.commit()
    client, _user = client_as(app, Role.LOGISTICS)
    panel = panel_html(client.get("/").get_data(as_text=True), "partly-received")
    row = panel[panel.index(plan.number) :]
    row = row[: row.index("</li>")]
    assert f"last received {TODAY.isoformat()}" in row and "dispatched" not in row
