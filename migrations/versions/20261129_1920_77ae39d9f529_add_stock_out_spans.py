"""Add stock-out spans: per place and item, the stretches of days with nothing on hand.

Kept by the ledger (hilogistics/reports/stockout_spans.py) so that the stock-outs report reads
the spans that touch its period instead of replaying every movement since it began (13 s over
all places at a million movements). Upgrade fills the table from the movements already
recorded, as the ledger would have kept it; downgrade drops it (nothing else refers to it).

Revision ID: 77ae39d9f529
Revises: 4c8e2a9d6f13
Create Date: 2026-11-29 19:20:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "77ae39d9f529"
down_revision = "4c8e2a9d6f13"
branch_labels = None
depends_on = None

PHYSICAL = ("warehouse", "centre", "school", "camp")


def _spans(days):
    """Spans (start, end or None) from (day, net change, whether stock came in) in date order.

    A copy of hilogistics.reports.stockout_spans.walk as it stood: migrations do not import
    application code that may change after them.
    """
    spans, balance, stocked, open_since = [], 0, False, None
    for day, net, came in days:
        balance += net
        stocked = stocked or came
        if balance <= 0 and stocked and open_since is None:
            open_since = day
        elif balance > 0 and open_since is not None:
            spans.append((open_since, day))
            open_since = None
    if open_since is not None:
        spans.append((open_since, None))
    return spans


def _fill(spans_table):
    bind = op.get_bind()
    kinds = ", ".join(f"'{kind}'" for kind in PHYSICAL)
    rows = bind.execute(
        sa.text(
            f"""
            SELECT loc, item_id, day, SUM(delta), MAX(came) FROM (
                SELECT to_location_id AS loc, item_id, occurred_on AS day,
                       quantity AS delta, 1 AS came
                FROM movements
                WHERE to_location_id IN (SELECT id FROM locations WHERE kind IN ({kinds}))
                UNION ALL
                SELECT from_location_id, item_id, occurred_on, -quantity, 0
                FROM movements
                WHERE from_location_id IN (SELECT id FROM locations WHERE kind IN ({kinds}))
            ) AS moves
            GROUP BY loc, item_id, day
            ORDER BY loc, item_id, day
            """
        ).columns(
            sa.column("loc", sa.Integer),
            sa.column("item_id", sa.Integer),
            sa.column("day", sa.Date),
            sa.column("net", sa.Integer),
            sa.column("came", sa.Integer),
        )
    )
    out, key, days = [], None, []

    def flush():
        for start, end in _spans(days):
            out.append(
                {"location_id": key[0], "item_id": key[1], "starts_on": start, "ends_on": end}
            )

    for loc, item_id, day, net, came in rows:
        if (loc, item_id) != key:
            if key is not None:
                flush()
            key, days = (loc, item_id), []
        days.append((day, int(net), bool(came)))
    if key is not None:
        flush()
    for chunk in range(0, len(out), 10_000):
        op.bulk_insert(spans_table, out[chunk : chunk + 10_000])


def upgrade():
    spans = op.create_table(
        "stock_out_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_stock_out_spans_item_id_items")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_stock_out_spans_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_out_spans")),
        sa.UniqueConstraint("location_id", "item_id", "starts_on", name="uq_stock_out_spans_location_item_start"),
    )
    with op.batch_alter_table("stock_out_spans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_out_spans_ends", ["ends_on", "starts_on", "location_id", "item_id"], unique=False
        )
    _fill(spans)


def downgrade():
    with op.batch_alter_table("stock_out_spans", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_out_spans_ends")
    op.drop_table("stock_out_spans")
