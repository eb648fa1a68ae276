"""Index transaction references for the transaction list's search.

The list finds a consignment, waybill or invoice number by any part of it, ignoring case
(ILIKE '%…%'), which a B-tree cannot serve. On PostgreSQL a trigram GIN index (extension
pg_trgm, a trusted extension since PostgreSQL 13: the database owner may create it) serves it;
SQLite gets a plain index on the column. The downgrade drops the index and leaves the
extension, which other databases objects may have come to use.

Revision ID: e1f3a5c7b9d2
Revises: e1f4a7c3b9d2
Create Date: 2026-11-29 10:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1f3a5c7b9d2'
down_revision = 'e1f4a7c3b9d2'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_stock_transactions_reference_trgm',
            ['reference'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'reference': 'gin_trgm_ops'},
        )


def downgrade():
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_transactions_reference_trgm')
