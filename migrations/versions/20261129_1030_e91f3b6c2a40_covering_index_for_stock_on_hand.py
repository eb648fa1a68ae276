"""Cover the stock-on-hand reads of item_balances with an index that carries the quantities.

The stock-on-hand page counts the items a place holds (on hand or reserved) and probes each
item's row at the place; with only (location_id, item_id) indexed, each of those reads visits
the table's heap page, and a busy place's rows are spread over nearly every page. With
on_hand and reserved in the index, PostgreSQL answers from the index alone (index-only scan)
and SQLite the same (a covering index). The price: item_balances updates are no longer HOT
on PostgreSQL (an indexed column changes), measured as noise on a post.

Revision ID: e91f3b6c2a40
Revises: e3b8d1f4a6c2
Create Date: 2026-11-29 10:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e91f3b6c2a40'
down_revision = 'e3b8d1f4a6c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_item_balances_location_item_stock",
        "item_balances",
        ["location_id", "item_id", "on_hand", "reserved"],
    )


def downgrade():
    op.drop_index("ix_item_balances_location_item_stock", table_name="item_balances")
