"""Deny by default: every endpoint declares a policy, and each role meets exactly that policy."""

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.routing import Rule

from hilogistics.auth.access import PUBLIC, policy_of
from hilogistics.auth.models import Role
from hilogistics.db import db
from tests.conftest import sign_in
from tests.factories import make_user

ADMIN = frozenset({Role.ADMIN})
EVERYONE = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.LOGISTICS})
READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})
RECORDERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN})

# The reviewed policy. A new endpoint fails this test until it is added here on purpose.
EXPECTED: dict[str, frozenset[Role] | str] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "main.language": PUBLIC,
    "main.home": EVERYONE,
    "auth.logout": EVERYONE,
    "auth.password": EVERYONE,
    "auth.users": ADMIN,
    "auth.user_new": ADMIN,
    "auth.user_edit": ADMIN,
    "auth.user_password": ADMIN,
    "auth.user_deactivate": ADMIN,
    "auth.user_activate": ADMIN,
    "catalogue.items": READERS,
    "catalogue.item_new": ADMIN,
    "catalogue.item_edit": ADMIN,
    "catalogue.items_export": READERS,
    "catalogue.items_import": ADMIN,
    "catalogue.items_import_confirm": ADMIN,
    "catalogue.categories": READERS,
    "catalogue.category_new": ADMIN,
    "catalogue.category_edit": ADMIN,
    "catalogue.units": READERS,
    "catalogue.unit_new": ADMIN,
    "catalogue.unit_edit": ADMIN,
    "catalogue.lookup": EVERYONE,
    "locations.index": ADMIN,
    "locations.new": ADMIN,
    "locations.edit": ADMIN,
    "locations.provinces": ADMIN,
    "locations.province_new": ADMIN,
    "locations.province_edit": ADMIN,
    "stock.index": EVERYONE,
    "stock.on_hand": EVERYONE,
    "stock.on_hand_export": EVERYONE,
    "stock.below_minimum": EVERYONE,
    "stock.below_minimum_everywhere": READERS,
    "stock.expiring": READERS,
    "stock.reorder_levels": READERS,
    "stock.reorder_levels_save": STAFF,
    "stock.item": EVERYONE,
    "stock.card": EVERYONE,
    "stock.card_pdf": EVERYONE,
    "stock.lots_export": EVERYONE,
    "stock.on_hand_pdf": EVERYONE,
    "reports.index": EVERYONE,
    "reports.page": EVERYONE,
    "reports.report_export": EVERYONE,
    "reports.report_pdf": EVERYONE,
    "shipments.index": EVERYONE,
    "shipments.page": EVERYONE,
    "shipments.print_document": EVERYONE,
    "shipments.recall": STAFF,
    "shipments.cancel": STAFF,
    "shipments.close": STAFF,
    "shipments.draft_new": STAFF,
    "shipments.draft_edit": STAFF,
    "shipments.dispatch": STAFF,
    "shipments.plan_new": STAFF,
    "shipments.plan_edit": STAFF,
    "shipments.plan_import": STAFF,
    "shipments.plan_import_template": STAFF,
    "shipments.draft_import": STAFF,
    "shipments.draft_import_template": STAFF,
    "shipments.pipeline": READERS,
    "shipments.receive": frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN}),
    "stock.transactions": EVERYONE,
    "stock.transaction": EVERYONE,
    "stock.receipt_new": STAFF,
    "stock.receipt_import": STAFF,
    "stock.receipt_import_template": STAFF,
    "stock.adjust": STAFF,
    "stock.reverse": STAFF,
    "stock.lot": EVERYONE,
    "stock.lot_expiry": STAFF,
    "stock.grants": READERS,
    "stock.grant_new": STAFF,
    "stock.grant_edit": STAFF,
    "registry.open_document": EVERYONE,
    "registry.find": EVERYONE,
    "distributions.index": EVERYONE,
    "distributions.page": EVERYONE,
    "distributions.new": RECORDERS,
    "distributions.correct": RECORDERS,
    "distributions.import_lines": RECORDERS,
    "distributions.import_template": RECORDERS,
    "distributions.returned": RECORDERS,
    "distributions.print_slip": EVERYONE,
    "distributions.print_day": EVERYONE,
    "distributions.unreturned": EVERYONE,
    "distributions.lot": EVERYONE,
    "distributions.lot_export": EVERYONE,
    "distributions.lot_pdf": EVERYONE,
    "distributions.recipient": EVERYONE,
    "distributions.recipient_export": EVERYONE,
    "distributions.recipient_pdf": EVERYONE,
    "distributions.summary": EVERYONE,
    "distributions.preprinted": EVERYONE,
    "distributions.preprinted_slip": EVERYONE,
    "distributions.preprint": RECORDERS,
    "distributions.preprinted_print": RECORDERS,
    "distributions.preprinted_void": RECORDERS,
    "distributions.summary_export": EVERYONE,
    "distributions.summary_pdf": EVERYONE,
    "counts.index": EVERYONE,
    "counts.new": frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN}),
    "counts.page": EVERYONE,
    "counts.enter": frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN}),
    "counts.recount": frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN}),
    "counts.post": STAFF,
    "counts.abandon": frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN}),
    "counts.print_sheet": EVERYONE,
    "history.search": ADMIN,
    "history.search_export": ADMIN,
    "camps.index": EVERYONE,
    "camps.new": STAFF,
    "camps.page": EVERYONE,
    "camps.start_closing": STAFF,
    "camps.make_return": STAFF,
    "camps.close": STAFF,
    "camps.report": EVERYONE,
    "camps.print_report": EVERYONE,
    "requisitions.index": EVERYONE,
    "requisitions.page": EVERYONE,
    "requisitions.new": RECORDERS,
    "requisitions.edit": RECORDERS,
    "requisitions.import_lines": RECORDERS,
    "requisitions.import_template": RECORDERS,
    "requisitions.submit_for_review": RECORDERS,
    "requisitions.cancel": RECORDERS,
    "requisitions.queue": STAFF,
    "requisitions.review": STAFF,
    "requisitions.ship": STAFF,
    "requisitions.backorders": EVERYONE,
    "requisitions.cancel_backorder": STAFF,
    "requisitions.print_form": EVERYONE,
}


def rules(app: Flask) -> Iterator[Rule]:
    """Every rule except static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule


def test_every_endpoint_declares_the_expected_policy(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = sorted(e for e in endpoints if policy_of(app, e) is None)
    assert undeclared == [], f"endpoints without @allow/@public: {undeclared}"
    unreviewed = sorted(endpoints - EXPECTED.keys())
    assert unreviewed == [], f"add these endpoints to EXPECTED after review: {unreviewed}"
    stale = sorted(EXPECTED.keys() - endpoints)
    assert stale == [], f"EXPECTED names endpoints that no longer exist: {stale}"
    mismatched = {e: policy_of(app, e) for e in endpoints if policy_of(app, e) != EXPECTED[e]}
    assert mismatched == {}


def test_an_endpoint_without_a_policy_is_refused(app: Flask) -> None:
    @app.get("/forgotten")
    def forgotten() -> str:
        return "should never be served"

    assert app.test_client().get("/forgotten").status_code == 403


@pytest.mark.parametrize("who", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_each_role_gets_exactly_what_the_policy_allows(app: Flask, who: Role | None) -> None:
    # Rules with an id get the id of a bystander account, so admin actions hit a harmless target.
    bystander = make_user(Role.VIEWER)
    actor = make_user(who) if who else None
    db.session.commit()
    client = app.test_client()
    if actor is not None:
        sign_in(client, actor)
    problems = []
    # Signing out last, so it does not end the session the other requests use.
    ordered = sorted(rules(app), key=lambda r: r.endpoint == "auth.logout")
    for rule in ordered:
        url = rule.build({arg: bystander.id for arg in rule.arguments})[1]
        policy = EXPECTED[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            # The policy sends anonymous visitors to /login?next=…; a plain /login is a page's own
            # redirect (signing out ends there).
            redirected_to_login = response.status_code == 302 and response.headers[
                "Location"
            ].startswith("/login?next=")
            if policy == PUBLIC:
                denied = response.status_code == 403
                allowed_expected = True
            elif who is None:
                denied = redirected_to_login
                allowed_expected = False
            else:
                denied = response.status_code == 403
                allowed_expected = who in policy
            if allowed_expected and (denied or redirected_to_login):
                problems.append(f"{method} {url}: refused ({response.status_code}) but allowed")
            if not allowed_expected and not denied:
                problems.append(f"{method} {url}: answered {response.status_code} but not allowed")
            if response.status_code >= 500:
                problems.append(f"{method} {url}: server error")
    assert problems == []
