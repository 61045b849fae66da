"""Editors steer search: promoted results (search_promotion), decisions on proposed synonyms
(synonym_proposal_decision), the article a visit opened after a search without a click (search_log.next_slug),
and a revision counter on content_file for conflict-safe saves of synonyme.txt and eigennamen.txt from the web

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD COLUMN (nullable, or with a server default): no batch rebuild of existing tables.
def upgrade():
    op.create_table(
        'search_promotion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('query_key', sa.String(length=200), nullable=False),
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_search_promotion_created_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_promotion')),
        sa.UniqueConstraint('lang', 'query_key', 'slug', name=op.f('uq_search_promotion_article')),
    )
    op.create_index(op.f('ix_search_promotion_query_key'), 'search_promotion', ['query_key'], unique=False)
    op.create_table(
        'synonym_proposal_decision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('query_key', sa.String(length=200), nullable=False),
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('decision', sa.String(length=10), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("decision IN ('accepted', 'dismissed')", name=op.f('ck_synonym_proposal_decision_decision')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_synonym_proposal_decision_decided_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym_proposal_decision')),
        sa.UniqueConstraint('lang', 'query_key', 'slug', name=op.f('uq_synonym_proposal_decision')),
    )
    op.add_column('search_log', sa.Column('next_slug', sa.String(length=120), nullable=True))
    op.add_column('content_file', sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('content_file', 'revision')
    op.drop_column('search_log', 'next_slug')
    op.drop_table('synonym_proposal_decision')
    op.drop_index(op.f('ix_search_promotion_query_key'), table_name='search_promotion')
    op.drop_table('search_promotion')
