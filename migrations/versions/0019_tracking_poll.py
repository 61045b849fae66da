"""Polling the carriers' tracking APIs: when each open parcel is asked next and which poller holds it (tracking_poll)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
# While developing beside 0018 (return labels): the coordinator sets this to '0018' when merging.
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tracking_poll',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=True),
        sa.Column('return_id', sa.Integer(), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(), nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('lease_owner', sa.String(length=32), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('polls', sa.Integer(), nullable=False),
        sa.Column('last_polled_at', sa.DateTime(), nullable=True),
        sa.Column('last_change_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(shipment_id IS NULL) <> (return_id IS NULL)', name=op.f('ck_tracking_poll_one_parcel')),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_tracking_poll_shipment_id_shipment'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['return_request.id'],
                                name=op.f('fk_tracking_poll_return_id_return_request'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_poll')),
        sa.UniqueConstraint('shipment_id', name=op.f('uq_tracking_poll_shipment_id')),
        sa.UniqueConstraint('return_id', name=op.f('uq_tracking_poll_return_id')),
    )
    op.create_index(op.f('ix_tracking_poll_next_poll_at'), 'tracking_poll', ['next_poll_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_tracking_poll_next_poll_at'), table_name='tracking_poll')
    op.drop_table('tracking_poll')
