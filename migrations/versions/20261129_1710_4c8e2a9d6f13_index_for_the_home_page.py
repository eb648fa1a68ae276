"""Index what the home page's lists read: lot balances by lot.

The month's programme figures read the distributions of one date range at every place: the
reports' ``ix_distributions_on`` (c4e7a1b9d3f2) serves them. The slips not returned for a month
are listed oldest first across places by ``ix_distributions_status_on`` (3917251c5c8e).

The lots expiring soon are found by their expiry date, then their balances by lot: with only
(item, location) indexed, each lot read every balance of its item (0.4 s at a million movements); (lot, location, quantity) answers
from the index alone (2 ms). The price: balance updates are no longer HOT on PostgreSQL, as
for item_balances (e91f3b6c2a40).

Revision ID: 4c8e2a9d6f13
Revises: c4e7a1b9d3f2
Create Date: 2026-11-29 17:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c8e2a9d6f13'
down_revision = 'c4e7a1b9d3f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_balances_lot_stock", "balances", ["lot_id", "location_id", "quantity"])


def downgrade():
    op.drop_index("ix_balances_lot_stock", table_name="balances")
