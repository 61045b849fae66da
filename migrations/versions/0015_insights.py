"""Insights: the visit and the clicked result's position on search_log, the visit and the survey's 0–10
recommendation answer on support_case

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, no batch mode: on SQLite a batch rebuild of support_case would cascade-delete its
# events and messages (see 0011). Adding nullable columns and indexes needs no rebuild anywhere.
def upgrade():
    op.add_column('search_log', sa.Column('visit', sa.String(length=40), nullable=True))
    op.add_column('search_log', sa.Column('clicked_position', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_search_log_visit'), 'search_log', ['visit'], unique=False)
    op.add_column('support_case', sa.Column('survey_nps', sa.Integer(), nullable=True))
    op.add_column('support_case', sa.Column('visit', sa.String(length=40), nullable=True))
    op.create_index(op.f('ix_support_case_visit'), 'support_case', ['visit'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_support_case_visit'), table_name='support_case')
    op.drop_column('support_case', 'visit')
    op.drop_column('support_case', 'survey_nps')
    op.drop_index(op.f('ix_search_log_visit'), table_name='search_log')
    op.drop_column('search_log', 'clicked_position')
    op.drop_column('search_log', 'visit')
