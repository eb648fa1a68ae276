"""Odd values into every form and every query string, as every role: never a 500 (issue 7).

A fixed corpus, not random search, so that a run is fast and a failure repeats. Forms are
found by reading each page's HTML, as a browser would: a new form is fuzzed without touching
this file. The ``app`` fixture audits the ledger afterwards.
"""

import re
import time
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Unit
from hilogistics.counts.services import open_count
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import RecipientType
from hilogistics.distributions.services import (
    LineInput,
    Recipient,
    record_distribution,
    reserve_slips,
)
from hilogistics.locations.models import Province
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.requisitions.services import (
    RequestLine,
    create_requisition,
    submit_requisition,
)
from tests import factories
from tests.conftest import sign_in

# Sent as raw bytes: the test client would refuse to encode a lone surrogate itself.
VALUES: list[bytes] = [
    b"\x00",
    b"a\x00b",
    b"%00",
    b"\xed\xa0\x80",  # a lone surrogate in UTF-8 (invalid)
    b"\xff\xfe",  # not UTF-8 at all
    b"a\r\nb",
    b" ",
    "²".encode(),
    b"9" * 400,
    b"-" + b"9" * 40,
    b"2147483648",
    b"-1",
    b"0001-01-01",
    b"9999-12-31",
]
# Each field in turn gets these (the rest of the form valid); all fields at once get them all.
PER_FIELD: list[bytes] = [b"a\x00b", b"\xed\xa0\x80", b"9" * 400, b"2147483648", b"9999-12-31"]
# Roles other than the administrator's see fewer pages; these stand for the rest in queries.
SHORT: list[bytes] = [b"\x00", b"9" * 400, b"0001-01-01"]
HUGE = b"x" * (1024 * 1024)
PATH_IDS = ["0", "2147483648", "99999999999999999999"]
# Query parameters every list might read, besides those of its own GET forms.
COMMON_ARGS = [
    "page",
    "per_page",
    "q",
    "next",
    "format",
    "sort",
    "order",
    "item_id",
    "location_id",
    "_scheme",
    "_external",
]
SKIPPED_ENDPOINTS = {"static", "auth.logout"}
SKIPPED_FIELDS = {"csrf_token"}
# Only the first receipt line is fuzzed: the other lines are the same form.
_OTHER_LINES = tuple(f"lines-{n}-" for n in range(1, 100))


class FormReader(HTMLParser):
    """Collects the forms of a page: method, action, and (name, value) of each field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (a.get("method") or "get").lower(),
                    "action": a.get("action"),
                    "fields": [],
                }
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "file":
                return
            fields.append((a["name"], a.get("value") or ""))
        elif tag == "button" and a.get("name"):
            fields.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self.forms:
            chosen = [v for v, selected in self._options if selected]
            filled = [v for v, _selected in self._options if v]
            value = (chosen or filled or [""])[0]
            self.forms[-1]["fields"].append((self._select, value))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    """The forms of a page."""
    reader = FormReader()
    reader.feed(html)
    return reader.forms


class World:
    """The rows every URL needs, and one signed-in client per role."""

    def __init__(self, app: Flask) -> None:
        self.warehouse = factories.make_warehouse(code="FUZZ-WH")
        self.centre = factories.make_location(code="FUZZ-CTR", supplied_by_id=self.warehouse.id)
        self.item = factories.make_item(code="FUZZ-ITEM", tracks_expiry=True)
        self.grant = factories.make_grant(code="FUZZ-GRANT")
        self.transaction = factories.receive(
            self.item, 40, self.warehouse, lot_code="L1", expires_on=factories.date(2030, 1, 1)
        )
        self.users = {
            role: factories.make_user(
                role, **({"location": self.centre} if role is Role.TECHNICIAN else {})
            )
            for role in Role
        }
        self.target = factories.make_user(Role.VIEWER, username="fuzz-target")
        # Dispatched to the technician's centre: every shipment page and action applies.
        self.shipment = factories.make_dispatch(
            self.warehouse, self.centre, [(self.item, self.transaction.movements[0].lot, 5)]
        )
        factories.dispatch(self.shipment)
        self.distribution = record_distribution(
            actor=SYSTEM,
            location_id=self.warehouse.id,
            distributed_on=business_today(),
            recipient=Recipient(type=RecipientType.WORKSHOP),
            lines=[LineInput(self.item.id, self.transaction.movements[0].lot_id, 1)],
            operation_key=factories.operation_key(),
        )
        self.ids = {
            "item_id": self.item.id,
            "transaction_id": self.transaction.id,
            "lot_id": self.transaction.movements[0].lot_id,
            "grant_id": self.grant.id,
            "user_id": self.target.id,
            "category_id": db.session.scalar(select(Category.id).limit(1)),
            "unit_id": db.session.scalar(select(Unit.id).limit(1)),
            "province_id": db.session.scalar(select(Province.id).limit(1)),
            "token": "0" * 32,
            "shipment_id": self.shipment.id,
            "distribution_id": self.distribution.id,
            "number": register_document(type=DocumentType.SHIPMENT, actor=SYSTEM).number,
            # At the technician's centre, open: every count page and action applies.
            "count_id": open_count(actor=SYSTEM, location_id=self.centre.id).id,
            "report_name": "stock",
            # Open, supplied by the warehouse: the camp page offers its first closing step.
            "camp_id": factories.make_camp(self.warehouse).id,
            # Reserved at the technician's centre: its page and actions apply to every recorder.
            "slip_id": reserve_slips(
                actor=SYSTEM,
                location_id=self.centre.id,
                planned_on=business_today(),
                count=1,
                operation_key=factories.operation_key(),
            )[0].id,
        }
        # Submitted by the technician's centre: the review and every requisition page apply.
        requisition = create_requisition(
            actor=SYSTEM,
            location_id=self.centre.id,
            lines=[RequestLine(item_id=self.item.id, quantity=2, reason="fuzz")],
        )
        submit_requisition(actor=SYSTEM, requisition_id=requisition.id)
        self.ids["requisition_id"] = requisition.id
        self.ids["line_id"] = requisition.lines[0].id
        db.session.commit()
        self.app = app

    def location_for(self, role: Role | None) -> int:
        """The place a role's pages are about (a technician's own centre)."""
        return self.centre.id if role is Role.TECHNICIAN else self.warehouse.id

    def client(self, role: Role | None) -> FlaskClient:
        """A fresh client, signed in as ``role`` (None: anonymous)."""
        client = self.app.test_client()
        if role is not None:
            user = db.session.get(User, self.users[role].id)
            db.session.refresh(user)
            sign_in(client, user)
        return client

    def urls(self, role: Role | None) -> Iterator[tuple[str, str, set[str]]]:
        """(endpoint, URL, methods) of every route, its ids filled in for ``role``."""
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            values = {
                name: (self.location_for(role) if name == "location_id" else self.ids[name])
                for name in rule.arguments
            }
            with self.app.test_request_context():
                url = url_for(rule.endpoint, **values)
            yield rule.endpoint, url, set(rule.methods or ()) - {"HEAD", "OPTIONS"}


class Failures:
    """Requests that answered 500 or raised, kept to report them all at once."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.requests = 0

    def send(self, client: FlaskClient, method: str, url: str, body: bytes | None = None) -> int:
        self.requests += 1
        try:
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(
                    url, data=body or b"", content_type="application/x-www-form-urlencoded"
                )
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            self.seen.append(f"{method} {url[:150]} {body[:150] if body else ''!r}: {error!r}")
            db.session.rollback()
            return 500
        if response.status_code >= 500:
            self.seen.append(f"{method} {url[:150]} {body[:150] if body else ''!r}: 500")
        return response.status_code


def encode(fields: list[tuple[str, str | bytes]]) -> bytes:
    """A form body; bytes values go as they are (percent-encoded)."""
    return urlencode(
        [(name, value if isinstance(value, bytes) else value.encode()) for name, value in fields]
    ).encode()


def query(names: list[str], value: bytes) -> str:
    return urlencode([(name, value) for name in names])


ID_ATTRIBUTE = re.compile(r'\sid="([^"]+)"')


@pytest.fixture
def world(app: Flask) -> World:
    """Rows and users for the whole walk."""
    return World(app)


def _page_forms(world: World, role: Role | None, failures: Failures) -> list[tuple[str, dict]]:
    """Every form of every GET page ``role`` may open: (page URL, form)."""
    found = []
    client = world.client(role)
    extra = [
        f"/stock/adjust?location_id={world.warehouse.id}&item=FUZZ-ITEM",
    ]
    pages = [url for _e, url, methods in world.urls(role) if "GET" in methods] + extra
    for url in pages:
        response = client.get(url)
        if response.status_code >= 500:
            failures.seen.append(f"GET {url}: {response.status_code}")
        if response.status_code == 200 and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            found += [(url, form) for form in forms_of(html)]
            # A label, a link or aria-labelledby pointing at a repeated id reaches the wrong
            # element (axe 4's rules no longer report it): every id of a page is unique.
            ids = Counter(ID_ATTRIBUTE.findall(html))
            repeated = sorted(name for name, times in ids.items() if times > 1)
            if repeated:
                failures.seen.append(f"GET {url}: repeated ids {repeated}")
    return found


def _fuzz_forms(world: World, role: Role | None, failures: Failures, *, each_field: bool) -> None:
    """Post odd values into every form; one field at a time, or into all fields at once."""
    posted: set[str] = set()
    for page, form in _page_forms(world, role, failures):
        action = form["action"] or page
        fields = [(n, v) for n, v in form["fields"] if n not in SKIPPED_FIELDS]
        key = f"{form['method']} {urlsplit(action).path} {sorted(n for n, _v in fields)}"
        if key in posted or action.endswith("/logout"):
            continue
        posted.add(key)
        if form["method"] == "get":
            names = [n for n, _v in fields] + COMMON_ARGS
            client = world.client(role)
            for value in VALUES:
                failures.send(client, "GET", f"{urlsplit(action).path}?{query(names, value)}")
            continue
        client = world.client(role)
        if each_field:
            targets = [n for n, _v in fields if not n.startswith(_OTHER_LINES)]
            for value in VALUES:
                failures.send(client, "POST", action, encode([(n, value) for n, _v in fields]))
            for name in targets:
                for value in PER_FIELD:
                    body = encode([(n, value if n == name else v) for n, v in fields])
                    failures.send(client, "POST", action, body)
            if targets:
                body = encode([(n, HUGE if n == targets[0] else v) for n, v in fields])
                failures.send(client, "POST", action, body)
        else:
            for value in VALUES:
                failures.send(client, "POST", action, encode([(n, value) for n, _v in fields]))
        # A form that went through may have ended this session (a password change): sign in anew.
        db.session.expire_all()


def _fuzz_paths_and_queries(
    world: World, role: Role | None, failures: Failures, values: list[bytes]
) -> None:
    """Absurd ids in paths, odd values in every known query parameter of every GET page."""
    client = world.client(role)
    for _endpoint, url, methods in world.urls(role):
        if "GET" not in methods:
            continue
        for value in values:
            failures.send(client, "GET", f"{url}?{query(COMMON_ARGS, value)}")
    if role not in (Role.ADMIN, Role.TECHNICIAN):
        return
    for _endpoint, url, _methods in world.urls(role):
        for number in PATH_IDS:
            for part in (str(world.ids["item_id"]), str(world.location_for(role))):
                if f"/{part}" in url:
                    failures.send(client, "GET", url.replace(f"/{part}", f"/{number}", 1))
    for token in ("%00", "..%2F..%2Fsecret_key", "0" * 32 + "%0a", "a" * 5000):
        failures.send(client, "POST", f"/catalogue/items/import/{token}")


@pytest.mark.slow
def test_no_odd_value_in_any_form_or_query_answers_500(app: Flask, world: World) -> None:
    started = time.monotonic()
    failures = Failures()
    # The administrator reaches every form: each field in turn, the others left valid.
    _fuzz_forms(world, Role.ADMIN, failures, each_field=True)
    for role in (None, Role.LOGISTICS, Role.TECHNICIAN, Role.VIEWER):
        _fuzz_forms(world, role, failures, each_field=role is None)
    for role in (None, *Role):
        _fuzz_paths_and_queries(world, role, failures, VALUES if role is Role.ADMIN else SHORT)
    elapsed = time.monotonic() - started
    assert not failures.seen, "\n".join(failures.seen[:40])
    assert failures.requests > 1000, failures.requests
    print(f"{failures.requests} requests in {elapsed:.1f} s")
