"""The carrier's own event code on each shipment scan (shipment_event.code, optional)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: SQLite adds it in place (batch mode rebuilds only when it must), existing scans keep
    # no code and are read by their wording as before.
    with op.batch_alter_table('shipment_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=True))


def downgrade():
    # SQLite rebuilds shipment_event here; nothing refers to it, so no row elsewhere is lost.
    with op.batch_alter_table('shipment_event', schema=None) as batch_op:
        batch_op.drop_column('code')
