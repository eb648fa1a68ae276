"""The floor for bench/http.sh: the same 50 stock-on-hand rows, with nothing around them.

A minimal Flask + Flask-SQLAlchemy app on the same database as hilogistics. It answers
GET /locations/<id> with the first 50 items on hand at that place (balances summed per item over
their lots, earliest expiry of the lots in stock, item and unit names), ordered by item code,
like the real stock-on-hand page, through a plain Jinja template: no login, no session, no
layout, no CSRF, no translations, no reorder levels, no row count for pagination.

    DATABASE_URL=sqlite:////abs/path.sqlite gunicorn -w 2 --chdir bench baseline_app:app
"""

import os
from datetime import date

from flask import Flask, abort
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Date, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Unit(db.Model):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


class Item(db.Model):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))


class Lot(db.Model):
    __tablename__ = "lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    expires_on: Mapped[date | None] = mapped_column(Date)


class Balance(db.Model):
    __tablename__ = "balances"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(Integer)


class ItemBalance(db.Model):
    __tablename__ = "item_balances"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stock at {{ location_id }}</title></head>
<body><table>
<thead><tr><th>Code</th><th>Item</th><th>Unit</th><th>On hand</th><th>Reserved</th>
<th>Available</th><th>Earliest expiry</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.code }}</td><td>{{ row.name }}<br>{{ row.name_ko }}</td>
<td>{{ row.unit }}</td><td>{{ row.on_hand }}</td><td>{{ row.reserved }}</td>
<td>{{ row.on_hand - row.reserved }}</td><td>{{ row.expiry or "—" }}</td></tr>
{% endfor %}</tbody></table></body></html>
"""


def create_baseline() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    # Compiled once, as Flask's render_template does for files: compiling on every request
    # (render_template_string) cost more than the rest of the baseline.
    template = app.jinja_env.from_string(TEMPLATE)

    @app.get("/locations/<int:location_id>")
    def on_hand(location_id: int) -> str:
        expiry = (
            select(func.min(Lot.expires_on))
            .select_from(Balance)
            .join(Lot, Lot.id == Balance.lot_id)
            .where(
                Balance.location_id == location_id,
                Balance.item_id == ItemBalance.item_id,
                Balance.quantity > 0,
            )
            .correlate(ItemBalance)
            .scalar_subquery()
        )
        totals = (
            select(
                ItemBalance.item_id.label("item_id"),
                ItemBalance.on_hand.label("on_hand"),
                ItemBalance.reserved.label("reserved"),
                expiry.label("expiry"),
            )
            .where(ItemBalance.location_id == location_id)
            .subquery()
        )
        rows = db.session.execute(
            select(
                Item.code,
                Item.name,
                Item.name_ko,
                Unit.name.label("unit"),
                totals.c.on_hand,
                totals.c.reserved,
                totals.c.expiry,
            )
            .join(totals, totals.c.item_id == Item.id)
            .join(Unit, Unit.id == Item.unit_id)
            .where(totals.c.on_hand > 0)
            .order_by(Item.code, Item.id)
            .limit(50)
        ).all()
        if not rows:
            abort(404)
        return template.render(rows=rows, location_id=location_id)

    return app


app = create_baseline()
