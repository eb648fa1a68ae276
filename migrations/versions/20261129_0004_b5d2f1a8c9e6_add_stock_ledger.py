"""Add the stock ledger: grants, lots, transactions, append-only movements, balances.

Revision ID: b5d2f1a8c9e6
Revises: a3c1e0f2b7d4
Create Date: 2026-11-29 00:04:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2f1a8c9e6'
down_revision = 'a3c1e0f2b7d4'
branch_labels = None
depends_on = None

REASONS = [
    # code, name, Korean, French, direction, counterpart location, order
    ("damaged", "Damaged", "파손", "Endommagé", "out", "LOSS", 1),
    ("expired", "Expired", "유효기간 경과", "Périmé", "out", "LOSS", 2),
    ("lost", "Lost", "분실", "Perdu", "out", "LOSS", 3),
    ("stolen", "Stolen", "도난", "Volé", "out", "LOSS", 4),
    ("found", "Found", "찾음", "Retrouvé", "in", "COUNT", 5),
    ("correction", "Data-entry correction", "입력오유 수정", "Correction de saisie", "both", "COUNT", 6),
]

# Movements are append-only: a mistake is corrected by a reversing transaction, never in place.
PG_FUNCTION = """
CREATE FUNCTION movements_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'movements are append-only: post a reversing transaction instead';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements
FOR EACH ROW EXECUTE FUNCTION movements_append_only()
"""
SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only: post a reversing transaction instead'); END
    """,
    """
    CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only: post a reversing transaction instead'); END
    """,
]


def upgrade():
    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('donor', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_grants_period_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('code', name=op.f('uq_grants_code'))
    )

    op.create_table('adjustment_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_ko', sa.String(length=120), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=True),
    sa.Column('direction', sa.Enum('out', 'in', 'both', name='adjustmentdirection', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('counterpart_code', sa.String(length=32), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment_reasons')),
    sa.UniqueConstraint('code', name=op.f('uq_adjustment_reasons_code'))
    )

    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), server_default='', nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('identity', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_lots_grant_id_grants')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_lots_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('item_id', 'identity', name='uq_lots_item_id_identity'),
    sa.UniqueConstraint('item_id', 'serial', name='uq_lots_item_id_serial')
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_item_id'), ['item_id'], unique=False)

    op.create_table('reorder_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=True),
    sa.CheckConstraint('maximum IS NULL OR maximum >= minimum', name=op.f('ck_reorder_levels_maximum_above_minimum')),
    sa.CheckConstraint('minimum >= 0', name=op.f('ck_reorder_levels_minimum_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_reorder_levels_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_reorder_levels_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorder_levels')),
    sa.UniqueConstraint('location_id', 'item_id', name='uq_reorder_levels_location_item')
    )
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reorder_levels_item_id'), ['item_id'], unique=False)

    op.create_table('balances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reserved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_guarded', sa.Boolean(), nullable=False),
    sa.CheckConstraint('NOT is_guarded OR quantity >= 0', name=op.f('ck_balances_guarded_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_balances_reserved_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_balances_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_balances_location_id_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_balances_lot_id_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balances')),
    sa.UniqueConstraint('location_id', 'item_id', 'lot_id', name='uq_balances_location_item_lot')
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.create_index('ix_balances_item_location', ['item_id', 'location_id'], unique=False)

    op.create_table('stock_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operation_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'adjustment', 'reversal', 'opening', name='transactionkind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('supplier', sa.String(length=200), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('reason_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stock_transactions_actor_id_users')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_stock_transactions_grant_id_grants')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stock_transactions_location_id_locations')),
    sa.ForeignKeyConstraint(['reason_id'], ['adjustment_reasons.id'], name=op.f('fk_stock_transactions_reason_id_adjustment_reasons')),
    sa.ForeignKeyConstraint(['reverses_id'], ['stock_transactions.id'], name=op.f('fk_stock_transactions_reverses_id_stock_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_transactions')),
    sa.UniqueConstraint('operation_key', name=op.f('uq_stock_transactions_operation_key')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_stock_transactions_reverses_id'))
    )
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_transactions_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_transactions_occurred_on'), ['occurred_on'], unique=False)

    op.create_table('movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.CheckConstraint('from_location_id <> to_location_id', name=op.f('ck_movements_distinct_ends')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_movements_quantity_positive')),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_movements_from_location_id_locations')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_movements_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_movements_lot_id_lots')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_movements_to_location_id_locations')),
    sa.ForeignKeyConstraint(['transaction_id'], ['stock_transactions.id'], name=op.f('fk_movements_transaction_id_stock_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movements'))
    )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_item_from_date', ['item_id', 'from_location_id', 'occurred_on', 'id'], unique=False)
        batch_op.create_index('ix_movements_item_to_date', ['item_id', 'to_location_id', 'occurred_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_movements_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_movements_transaction_id'), ['transaction_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)

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
            dict(code=code, name=name, name_ko=name_ko, name_fr=name_fr, direction=direction,
                 counterpart_code=counterpart, sort_order=order, is_active=True)
            for code, name, name_ko, name_fr, direction, counterpart, order in REASONS
        ],
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER movements_append_only ON movements")
        op.execute("DROP FUNCTION movements_append_only()")
    else:
        op.execute("DROP TRIGGER movements_no_update")
        op.execute("DROP TRIGGER movements_no_delete")

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movements_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_movements_lot_id'))
        batch_op.drop_index('ix_movements_item_to_date')
        batch_op.drop_index('ix_movements_item_from_date')

    op.drop_table('movements')
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_transactions_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_stock_transactions_location_id'))

    op.drop_table('stock_transactions')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balances_item_location')

    op.drop_table('balances')
    with op.batch_alter_table('reorder_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reorder_levels_item_id'))

    op.drop_table('reorder_levels')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_item_id'))
        batch_op.drop_index(batch_op.f('ix_lots_grant_id'))
        batch_op.drop_index(batch_op.f('ix_lots_expires_on'))

    op.drop_table('lots')
    op.drop_table('adjustment_reasons')
    op.drop_table('grants')
