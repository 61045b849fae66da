"""The carrier's shipment number of a return parcel (return_request.tracking_number, optional, unique)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and added in place: returns with our own label have no carrier shipment number.
    with op.batch_alter_table('return_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_return_request_tracking_number', ['tracking_number'], unique=True)


def downgrade():
    with op.batch_alter_table('return_request', schema=None) as batch_op:
        batch_op.drop_index('ix_return_request_tracking_number')
        batch_op.drop_column('tracking_number')
