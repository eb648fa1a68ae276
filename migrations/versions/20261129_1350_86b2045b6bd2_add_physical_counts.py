"""Add physical counts: a count of a place (whole or by category), its lines, its categories.

New tables only (stock_counts, stock_count_categories, stock_count_lines); the ledger's tables
are not touched: counts post the ``count`` transaction kind and the COUNT virtual location,
both there since the first ledger migrations, and count documents are numbered ``CNT``, a type
the registry already allows. One row is added to adjustment_reasons: ``count`` ("Physical
count difference"), inactive so that it is not offered for manual adjustments, carried by
every count movement. Downgrade drops the three tables and that reason (the transactions
counts posted stay in the ledger, linked to their documents; the reason stays when they
carry it, as movements are append-only).

Revision ID: 86b2045b6bd2
Revises: e64ff8b816e3
Create Date: 2026-11-29 13:13:28
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '86b2045b6bd2'
down_revision = 'e64ff8b816e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'posted', 'abandoned', name='countstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('recount_quantity', sa.Integer(), nullable=False),
    sa.Column('recount_percent', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_on', sa.Date(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_key', sa.String(length=64), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('abandoned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('abandoned_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('recount_percent >= 0', name=op.f('ck_stock_counts_recount_percent_not_negative')),
    sa.CheckConstraint('recount_quantity >= 0', name=op.f('ck_stock_counts_recount_quantity_not_negative')),
    sa.ForeignKeyConstraint(['abandoned_by_id'], ['users.id'], name=op.f('fk_stock_counts_abandoned_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_stock_counts_document_id_documents')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stock_counts_location_id_locations')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_stock_counts_opened_by_id_users')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_stock_counts_posted_by_id_users')),
    sa.ForeignKeyConstraint(['transaction_id'], ['stock_transactions.id'], name=op.f('fk_stock_counts_transaction_id_stock_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_counts')),
    sa.UniqueConstraint('document_id', name=op.f('uq_stock_counts_document_id'))
    )
    with op.batch_alter_table('stock_counts', schema=None) as batch_op:
        batch_op.create_index('ix_stock_counts_location_status', ['location_id', 'status'], unique=False)
        batch_op.create_index('ix_stock_counts_status', ['status', 'id'], unique=False)

    op.create_table('stock_count_categories',
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_stock_count_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['count_id'], ['stock_counts.id'], name=op.f('fk_stock_count_categories_count_id_stock_counts')),
    sa.PrimaryKeyConstraint('count_id', 'category_id', name=op.f('pk_stock_count_categories'))
    )
    op.create_table('stock_count_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('lot_key', sa.String(length=80), nullable=False),
    sa.Column('lot_code', sa.String(length=64), server_default='', nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.Column('needs_recount', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('recounted', sa.Integer(), nullable=True),
    sa.Column('recount_expected', sa.Integer(), nullable=True),
    sa.Column('recounted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recounted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('counted >= 0 AND expected >= 0', name=op.f('ck_stock_count_lines_counted_not_negative')),
    sa.CheckConstraint('recounted IS NULL OR (recounted >= 0 AND recount_expected >= 0)', name=op.f('ck_stock_count_lines_recounted_not_negative')),
    sa.ForeignKeyConstraint(['count_id'], ['stock_counts.id'], name=op.f('fk_stock_count_lines_count_id_stock_counts')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'], name=op.f('fk_stock_count_lines_counted_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_stock_count_lines_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_stock_count_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['recounted_by_id'], ['users.id'], name=op.f('fk_stock_count_lines_recounted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_count_lines')),
    sa.UniqueConstraint('count_id', 'item_id', 'lot_key', name='uq_stock_count_lines_lot')
    )
    with op.batch_alter_table('stock_count_lines', schema=None) as batch_op:
        batch_op.create_index('ix_stock_count_lines_count', ['count_id', 'id'], unique=False)


    reasons = sa.table(
        "adjustment_reasons",
        sa.column("code", sa.String), sa.column("name", sa.String), sa.column("name_ko", sa.String),
        sa.column("name_fr", sa.String), sa.column("direction", sa.String),
        sa.column("counterpart_code", sa.String), sa.column("sort_order", sa.Integer),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        reasons,
        [
            dict(code="count", name="Physical count difference", name_ko="실사 차이",
                 name_fr="Écart d’inventaire", direction="both", counterpart_code="COUNT",
                 sort_order=7, is_active=False),
        ],
    )


def downgrade():
    # Movements are append-only: a reason that count movements carry stays with them.
    op.execute(
        "DELETE FROM adjustment_reasons WHERE code = 'count' "
        "AND id NOT IN (SELECT reason_id FROM movements WHERE reason_id IS NOT NULL) "
        "AND id NOT IN (SELECT reason_id FROM stock_transactions WHERE reason_id IS NOT NULL)"
    )
    with op.batch_alter_table('stock_count_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_count_lines_count')

    op.drop_table('stock_count_lines')
    op.drop_table('stock_count_categories')
    with op.batch_alter_table('stock_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_counts_status')
        batch_op.drop_index('ix_stock_counts_location_status')

    op.drop_table('stock_counts')
