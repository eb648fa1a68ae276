"""Add requisitions: a place's request, its lines with suggestion figures, their history.

New tables requisitions, requisition_lines, requisition_events (numbered ``REQ``, a type the
registry already allows). Three columns elsewhere: ``locations.target_months`` (months of
stock a requisition aims for, 3 for every existing place), ``shipment_lines.reservation_id``
(the requisition line's reservation a dispatch fulfils) and two indexes on movements that read
a place's consumption over months for all items at once. Downgrade drops them; the
reservations that requisitions held stay in ``reservations`` (the ledger's table) and must be
released first if the item rows are to stay consistent.

Revision ID: 85de0bebb062
Revises: 86b2045b6bd2
Create Date: 2026-11-29 16:12:51
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85de0bebb062'
down_revision = '86b2045b6bd2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('requisitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'approved', 'rejected', 'closed', 'cancelled', name='requisitionstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('target_months', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('is_from_paper', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_key', sa.String(length=80), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('target_months > 0', name=op.f('ck_requisitions_target_months_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_requisitions_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_requisitions_document_id_documents')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_requisitions_location_id_locations')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_requisitions_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_requisitions_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_id'], ['locations.id'], name=op.f('fk_requisitions_supplier_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisitions')),
    sa.UniqueConstraint('created_key', name=op.f('uq_requisitions_created_key')),
    sa.UniqueConstraint('document_id', name=op.f('uq_requisitions_document_id'))
    )
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.create_index('ix_requisitions_location_status', ['location_id', 'status'], unique=False)
        batch_op.create_index('ix_requisitions_status_submitted', ['status', 'submitted_at'], unique=False)

    op.create_table('requisition_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('created', 'edited', 'submitted', 'reviewed', 'shipment', 'backorder_cancelled', 'cancelled', 'closed', name='requisitionaction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_requisition_events_actor_id_users')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_requisition_events_requisition_id_requisitions')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_requisition_events_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_events'))
    )
    with op.batch_alter_table('requisition_events', schema=None) as batch_op:
        batch_op.create_index('ix_requisition_events_requisition', ['requisition_id', 'id'], unique=False)

    op.create_table('requisition_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('on_hand', sa.Integer(), server_default='0', nullable=False),
    sa.Column('on_the_way', sa.Integer(), server_default='0', nullable=False),
    sa.Column('consumption_total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('consumption_months', sa.Integer(), nullable=True),
    sa.Column('suggested', sa.Integer(), server_default='0', nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Enum('approved', 'reduced', 'rejected', name='linedecision', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('approved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('review_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('cancelled', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('approved >= 0 AND approved <= quantity', name=op.f('ck_requisition_lines_approved_within_quantity')),
    sa.CheckConstraint('cancelled >= 0 AND cancelled <= approved', name=op.f('ck_requisition_lines_cancelled_within_approved')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_requisition_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_requisition_lines_item_id_items')),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_requisition_lines_requisition_id_requisitions')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_requisition_lines_reservation_id_reservations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requisition_lines')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_requisition_lines_reservation_id'))
    )
    with op.batch_alter_table('requisition_lines', schema=None) as batch_op:
        batch_op.create_index('ix_requisition_lines_requisition_position', ['requisition_id', 'position'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_months', sa.Integer(), server_default='3', nullable=False))

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_from_date', ['from_location_id', 'occurred_on'], unique=False)
        batch_op.create_index('ix_movements_to_item_date', ['to_location_id', 'item_id', 'occurred_on'], unique=False)

    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reservation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_shipment_lines_reservation_id'), ['reservation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_shipment_lines_reservation_id_reservations'), 'reservations', ['reservation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shipment_lines_reservation_id_reservations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_shipment_lines_reservation_id'))
        batch_op.drop_column('reservation_id')

    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_to_item_date')
        batch_op.drop_index('ix_movements_from_date')

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('target_months')
    if op.get_bind().dialect.name == "sqlite":
        # The SQLite rebuild loses the expression index that keeps codes unique in any case.
        op.execute("DROP INDEX IF EXISTS uq_locations_lower_code")
        op.create_index("uq_locations_lower_code", "locations", [sa.text("lower(code)")], unique=True)

    with op.batch_alter_table('requisition_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_requisition_lines_requisition_position')

    op.drop_table('requisition_lines')
    with op.batch_alter_table('requisition_events', schema=None) as batch_op:
        batch_op.drop_index('ix_requisition_events_requisition')

    op.drop_table('requisition_events')
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.drop_index('ix_requisitions_status_submitted')
        batch_op.drop_index('ix_requisitions_location_status')

    op.drop_table('requisitions')