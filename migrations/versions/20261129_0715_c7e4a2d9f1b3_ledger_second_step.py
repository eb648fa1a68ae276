"""The ledger's second step: item balances and reservations, per-actor operation keys with a
fingerprint, serial lots in one place, the next issues' transaction kinds, reasons on lines.

Revision ID: c7e4a2d9f1b3
Revises: d5f5bf3960f5
Create Date: 2026-11-29 07:10:00

Recipe followed (see migrations/README): SQLite rebuilds of ``movements`` are followed by
``recreate_movement_triggers``; the kind CHECK constraint is changed by hand on PostgreSQL.
Downgrade refuses nothing by itself, but fails on the kind CHECK while transactions of the new
kinds exist, and forgets reservations.
"""
from alembic import op
import sqlalchemy as sa

from ledger_triggers import recreate_movement_triggers


# revision identifiers, used by Alembic.
revision = 'c7e4a2d9f1b3'
down_revision = 'd5f5bf3960f5'
branch_labels = None
depends_on = None

OLD_KINDS = ('receipt', 'adjustment', 'reversal', 'opening')
NEW_KINDS = OLD_KINDS + (
    'dispatch', 'arrival', 'transit_loss', 'recall', 'distribution', 'consumption', 'count'
)
KIND_CHECK = 'ck_stock_transactions_transactionkind'


def _kind_type(kinds):
    return sa.Enum(
        *kinds, name='transactionkind', native_enum=False, create_constraint=True,
        length=max(len(kind) for kind in kinds),
    )


def _change_kinds(old, new):
    if op.get_bind().dialect.name == "postgresql":
        # By hand: autogenerate sees neither the CHECK's values nor the type's length change.
        op.execute(f"ALTER TABLE stock_transactions DROP CONSTRAINT {KIND_CHECK}")
        op.alter_column(
            'stock_transactions', 'kind',
            type_=sa.String(max(len(kind) for kind in new)),
            existing_type=sa.String(max(len(kind) for kind in old)),
            existing_nullable=False,
        )
        values = ", ".join(f"'{kind}'" for kind in new)
        op.execute(
            f"ALTER TABLE stock_transactions ADD CONSTRAINT {KIND_CHECK} CHECK (kind IN ({values}))"
        )
    else:
        # SQLite: a table rebuild with the new type carries the new CHECK.
        with op.batch_alter_table('stock_transactions', recreate='always') as batch_op:
            batch_op.alter_column(
                'kind', type_=_kind_type(new), existing_type=_kind_type(old),
                existing_nullable=False,
            )


def upgrade():
    op.create_table('item_balances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reserved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_guarded', sa.Boolean(), nullable=False),
    sa.CheckConstraint('NOT is_guarded OR on_hand - reserved >= 0', name=op.f('ck_item_balances_guarded_available')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_item_balances_reserved_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_balances_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_item_balances_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_balances')),
    sa.UniqueConstraint('location_id', 'item_id', name='uq_item_balances_location_item')
    )
    with op.batch_alter_table('item_balances', schema=None) as batch_op:
        batch_op.create_index('ix_item_balances_item_location', ['item_id', 'location_id'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_reservations_quantity_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_reservations_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_reservations_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations')),
    sa.UniqueConstraint('holder', name=op.f('uq_reservations_holder'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_location_item', ['location_id', 'item_id'], unique=False)

    # Item rows from the lot rows; nothing was reserved yet (no writer of the column existed).
    op.execute(
        "INSERT INTO item_balances (location_id, item_id, on_hand, reserved, is_guarded) "
        "SELECT location_id, item_id, SUM(quantity), 0, is_guarded FROM balances "
        "GROUP BY location_id, item_id, is_guarded"
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_balances_reserved_not_negative'), type_='check')
        batch_op.drop_column('reserved')

    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_location_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lots_at_location_id_locations'), 'locations', ['at_location_id'], ['id'])
    # A serial lot's place: the guarded balance holding it, if any.
    op.execute(
        "UPDATE lots SET at_location_id = (SELECT MIN(b.location_id) FROM balances b "
        "WHERE b.lot_id = lots.id AND b.is_guarded AND b.quantity > 0) "
        "WHERE serial IS NOT NULL"
    )

    # Keys unique per actor: actor_key is actor_id, 0 for the system (NULLs never clash).
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('actor_key', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE stock_transactions SET actor_key = COALESCE(actor_id, 0)")
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_stock_transactions_operation_key'), type_='unique')
        batch_op.create_unique_constraint('uq_stock_transactions_actor_key_operation_key', ['actor_key', 'operation_key'])
        batch_op.create_check_constraint(op.f('ck_stock_transactions_actor_key_matches'), 'actor_key = COALESCE(actor_id, 0)')
    _change_kinds(OLD_KINDS, NEW_KINDS)

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_movements_reason_id_adjustment_reasons'), 'adjustment_reasons', ['reason_id'], ['id'])
    recreate_movement_triggers(op)


def downgrade():
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_movements_reason_id_adjustment_reasons'), type_='foreignkey')
        batch_op.drop_column('note')
        batch_op.drop_column('reason_id')
    recreate_movement_triggers(op)

    _change_kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_transactions_actor_key_matches'), type_='check')
        batch_op.drop_constraint('uq_stock_transactions_actor_key_operation_key', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_stock_transactions_operation_key'), ['operation_key'])
        batch_op.drop_column('actor_key')
        batch_op.drop_column('fingerprint')

    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lots_at_location_id_locations'), type_='foreignkey')
        batch_op.drop_column('at_location_id')

    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_balances_reserved_not_negative'), 'reserved >= 0')

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_location_item')
    op.drop_table('reservations')
    with op.batch_alter_table('item_balances', schema=None) as batch_op:
        batch_op.drop_index('ix_item_balances_item_location')
    op.drop_table('item_balances')
