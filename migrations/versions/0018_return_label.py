"""Carrier-issued return labels (return_label): order state, retries with a lease, the carrier's PDF and QR code

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # A new table: returns registered before keep their own label (no row = "own").
    op.create_table(
        'return_label',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('return_id', sa.Integer(), nullable=False),
        sa.Column('adapter', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('lease_token', sa.String(length=32), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('label_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('qr_png', sa.LargeBinary(), nullable=True),
        sa.Column('carrier_reference', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ready_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'ready', 'failed')", name=op.f('ck_return_label_state_known')),
        sa.ForeignKeyConstraint(['return_id'], ['return_request.id'],
                                name=op.f('fk_return_label_return_id_return_request'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_label')),
        sa.UniqueConstraint('return_id', name=op.f('uq_return_label_return_id')),
    )
    with op.batch_alter_table('return_label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_label_next_attempt_at'), ['next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('return_label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_label_next_attempt_at'))
    op.drop_table('return_label')
