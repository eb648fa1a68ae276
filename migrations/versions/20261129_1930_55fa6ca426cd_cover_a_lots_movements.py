"""Cover the per-grant report's read of its lots' movements: ix_movements_lot_date widened.

(lot_id, occurred_on) sent the report to each movement's row for its item, places and
quantity (23 000 rows for the latest grant at a million movements); with those columns in the
index the read stays in the index (SQLite: the report's statement 200 → 150 ms). Downgrade
puts the narrow index back.

Revision ID: 55fa6ca426cd
Revises: 77ae39d9f529
Create Date: 2026-11-29 19:30:00
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "55fa6ca426cd"
down_revision = "77ae39d9f529"
branch_labels = None
depends_on = None

WIDE = ["lot_id", "occurred_on", "item_id", "from_location_id", "to_location_id", "quantity"]


def upgrade():
    op.drop_index("ix_movements_lot_date", table_name="movements")
    op.create_index("ix_movements_lot_date", "movements", WIDE)


def downgrade():
    op.drop_index("ix_movements_lot_date", table_name="movements")
    op.create_index("ix_movements_lot_date", "movements", ["lot_id", "occurred_on"])
