"""Lot expiry corrections (recorded), and partial reversals guarded line by line.

Revision ID: e1f4a7c3b9d2
Revises: c7e4a2d9f1b3
Create Date: 2026-11-29 10:00:00

A reversal's movement names the movement it undoes (``reverses_movement_id``, unique), so a
transaction may be reversed in several parts but no line twice; ``stock_transactions.reverses_id``
is no longer unique (several reversals point at one transaction), only indexed.

Recipe followed (see migrations/README): the SQLite rebuild of ``movements`` is followed by
``recreate_movement_triggers``. The upgrade fills ``reverses_movement_id`` for the reversals
posted before (each undid every line, in the same order) with one UPDATE, the append-only
trigger set aside for it. The downgrade fails while a transaction has more than one reversal
(the old unique constraint cannot hold them), and forgets the expiry corrections' history
(the lots keep their corrected dates).
"""
from alembic import op
import sqlalchemy as sa

from ledger_triggers import recreate_movement_triggers


# revision identifiers, used by Alembic.
revision = 'e1f4a7c3b9d2'
down_revision = 'c7e4a2d9f1b3'
branch_labels = None
depends_on = None

# Old full reversals: the reversal's n-th line undid the original's n-th line.
BACKFILL = """
UPDATE movements SET reverses_movement_id = (
    SELECT o.id FROM movements o
    JOIN stock_transactions r ON r.id = movements.transaction_id
    WHERE o.transaction_id = r.reverses_id
      AND (SELECT COUNT(*) FROM movements o2
           WHERE o2.transaction_id = o.transaction_id AND o2.id < o.id)
        = (SELECT COUNT(*) FROM movements m2
           WHERE m2.transaction_id = movements.transaction_id AND m2.id < movements.id)
)
WHERE transaction_id IN (
    SELECT id FROM stock_transactions WHERE kind = 'reversal' AND reverses_id IS NOT NULL
)
"""


def _drop_movement_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS movements_append_only ON movements")
    else:
        op.execute("DROP TRIGGER IF EXISTS movements_no_update")
        op.execute("DROP TRIGGER IF EXISTS movements_no_delete")


def upgrade():
    op.create_table('lot_expiry_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('old_expires_on', sa.Date(), nullable=True),
    sa.Column('new_expires_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_lot_expiry_corrections_actor_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_expiry_corrections_lot_id_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_expiry_corrections'))
    )
    with op.batch_alter_table('lot_expiry_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_expiry_corrections_lot_id'), ['lot_id'], unique=False)

    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_stock_transactions_reverses_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_stock_transactions_reverses_id'), ['reverses_id'], unique=False)

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverses_movement_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_movements_reverses_movement_id'), ['reverses_movement_id'])
        batch_op.create_foreign_key(batch_op.f('fk_movements_reverses_movement_id_movements'), 'movements', ['reverses_movement_id'], ['id'])
    # The one UPDATE movements ever get: with the append-only triggers set aside, then restored.
    _drop_movement_triggers()
    op.execute(BACKFILL)
    recreate_movement_triggers(op)


def downgrade():
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_movements_reverses_movement_id_movements'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_movements_reverses_movement_id'), type_='unique')
        batch_op.drop_column('reverses_movement_id')
    recreate_movement_triggers(op)

    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_transactions_reverses_id'))
        batch_op.create_unique_constraint(op.f('uq_stock_transactions_reverses_id'), ['reverses_id'])

    with op.batch_alter_table('lot_expiry_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_expiry_corrections_lot_id'))
    op.drop_table('lot_expiry_corrections')
