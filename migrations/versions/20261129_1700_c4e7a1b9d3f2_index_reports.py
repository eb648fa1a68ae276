"""Index the reports' reads: movements by date, movements of a lot by date, balances by lot,
distributions by date.

- ``ix_movements_date_cover``: the stock report as of a past date reads every movement dated
  after it; the index holds every column it needs (index-only on PostgreSQL, covering on
  SQLite), so a recent date reads a short range and never the table.
- ``ix_movements_lot_date``: the per-grant report reads its lots' movements from the period's
  start on.
- ``ix_distributions_on``: the distributions report over all places reads a period of slips.

Revision ID: c4e7a1b9d3f2
Revises: c4a7e2f9b1d3
Create Date: 2026-11-29 17:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e7a1b9d3f2'
down_revision = 'c4a7e2f9b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_movements_date_cover",
        "movements",
        ["occurred_on", "item_id", "lot_id", "from_location_id", "to_location_id", "quantity"],
    )
    op.create_index("ix_movements_lot_date", "movements", ["lot_id", "occurred_on"])
    op.create_index("ix_distributions_on", "distributions", ["distributed_on", "location_id"])


def downgrade():
    op.drop_index("ix_distributions_on", table_name="distributions")
    op.drop_index("ix_movements_lot_date", table_name="movements")
    op.drop_index("ix_movements_date_cover", table_name="movements")
