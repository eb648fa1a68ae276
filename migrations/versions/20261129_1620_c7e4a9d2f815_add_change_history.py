"""Add the change history of reference data (change_records).

A new table only: one row per created, changed or deleted item, category, unit, location,
province, grant, reorder level or account, with who (NULL: the system), when (UTC) and the
fields changed as JSON text. Read by (record_type, record_id, changed_at) on a record's page,
by (location_id, changed_at) for a place's reorder levels and by changed_at for the search.
History starts at the upgrade: rows changed before it have none. Downgrade drops the table.

Revision ID: c7e4a9d2f815
Revises: 85de0bebb062
Create Date: 2026-11-29 16:20:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e4a9d2f815'
down_revision = '85de0bebb062'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'change_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_type', sa.String(length=16), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changes', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['users.id'], name=op.f('fk_change_records_actor_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_records')),
    )
    op.create_index(
        'ix_change_records_record',
        'change_records',
        ['record_type', 'record_id', 'changed_at'],
    )
    op.create_index(
        'ix_change_records_location', 'change_records', ['location_id', 'changed_at']
    )
    op.create_index('ix_change_records_changed_at', 'change_records', ['changed_at'])


def downgrade():
    op.drop_index('ix_change_records_changed_at', table_name='change_records')
    op.drop_index('ix_change_records_location', table_name='change_records')
    op.drop_index('ix_change_records_record', table_name='change_records')
    op.drop_table('change_records')
