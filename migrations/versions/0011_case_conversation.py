"""One conversation per case: case_message (customer, agent and system entries of every channel), attachments
linked to their message; existing cases, replies, notes, callbacks and chats backfilled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

case = sa.table('support_case', sa.column('id', sa.Integer), sa.column('message', sa.Text),
                sa.column('user_id', sa.Integer), sa.column('created_at', sa.DateTime))
event = sa.table('case_event', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                 sa.column('actor_id', sa.Integer), sa.column('kind', sa.String), sa.column('outcome', sa.String),
                 sa.column('note', sa.Text), sa.column('created_at', sa.DateTime))
chat = sa.table('chat_message', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                sa.column('sender', sa.String), sa.column('author_id', sa.Integer), sa.column('body', sa.Text),
                sa.column('created_at', sa.DateTime))
message = sa.table('case_message', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                   sa.column('author', sa.String), sa.column('channel', sa.String),
                   sa.column('visibility', sa.String), sa.column('body', sa.Text), sa.column('event', sa.String),
                   sa.column('outcome', sa.String), sa.column('author_id', sa.Integer),
                   sa.column('created_at', sa.DateTime))
attachment = sa.table('case_attachment', sa.column('case_id', sa.Integer), sa.column('message_id', sa.Integer))


def _entries(connection):
    """Every case's history as messages, from where it was stored before: the case's own text, the agents'
    replies, notes and callbacks in case_event, resolutions and reopenings, and the chat transcript."""
    rows = []
    for c in connection.execute(sa.select(case.c.id, case.c.message, case.c.user_id, case.c.created_at)):
        rows.append(dict(case_id=c.id, author='customer', channel='form', visibility='public', body=c.message,
                         event='opened', outcome=None, author_id=c.user_id, created_at=c.created_at))
    for e in connection.execute(sa.select(event).order_by(event.c.id)):
        base = dict(case_id=e.case_id, author_id=e.actor_id, created_at=e.created_at, outcome=None, event=None)
        if e.kind == 'reply':
            rows.append(dict(base, author='agent', channel='email', visibility='public', body=e.note or ''))
        elif e.kind == 'note':
            rows.append(dict(base, author='agent', channel='web', visibility='internal', body=e.note or ''))
        elif e.kind in ('callback_done', 'resolve', 'reopen'):
            # The outcome is the customer's to see; the agent's words about it stay internal.
            name = {'callback_done': 'callback_done', 'resolve': 'resolved', 'reopen': 'reopened'}[e.kind]
            rows.append(dict(base, author='agent' if e.kind == 'callback_done' else 'system',
                             channel='phone' if e.kind == 'callback_done' else 'web', visibility='public', body='',
                             event=name, outcome=e.outcome))
            if e.note:
                rows.append(dict(base, author='agent', channel='web', visibility='internal', body=e.note))
    for m in connection.execute(sa.select(chat).order_by(chat.c.id)):
        rows.append(dict(case_id=m.case_id, author=m.sender, channel='chat', visibility='public', body=m.body,
                         event=None, outcome=None, author_id=m.author_id, created_at=m.created_at))
    return sorted(rows, key=lambda r: (r['case_id'], r['created_at']))


def upgrade():
    op.create_table('case_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('email_message_id', sa.String(length=255), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=True),
    sa.CheckConstraint("author IN ('customer', 'agent', 'system')", name=op.f('ck_case_message_author')),
    sa.CheckConstraint("channel IN ('form', 'web', 'email', 'chat', 'phone')", name=op.f('ck_case_message_channel')),
    sa.CheckConstraint("visibility IN ('public', 'internal')", name=op.f('ck_case_message_visibility')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_case_message_author_id_user_account'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], name=op.f('fk_case_message_case_id_support_case'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_message')),
    sa.UniqueConstraint('email_message_id', name=op.f('uq_case_message_email_message_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_case_message_idempotency_key'))
    )
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.create_index('ix_case_message_case_created', ['case_id', 'created_at'], unique=False)

    # SQLite rebuilds case_attachment here; nothing refers to it, so no row elsewhere is lost. (support_case
    # is left alone on purpose: rebuilding it would cascade-delete its events and chats on SQLite.)
    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_attachment_message_id'), ['message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_attachment_message_id_case_message'), 'case_message',
                                    ['message_id'], ['id'], ondelete='SET NULL')

    connection = op.get_bind()
    rows = _entries(connection)
    if rows:
        connection.execute(message.insert(), rows)
    # Files sent with the form belong to the case's first message.
    first = (sa.select(sa.func.min(message.c.id)).where(message.c.case_id == attachment.c.case_id,
                                                         message.c.event == 'opened').scalar_subquery())
    connection.execute(attachment.update().values(message_id=first))

    # The chat transcript now lives in case_message (channel 'chat'): one stream, no second copy.
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_message_case_id'))
    op.drop_table('chat_message')


def downgrade():
    op.create_table('chat_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_chat_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], name=op.f('fk_chat_message_case_id_support_case'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_message'))
    )
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_message_case_id'), ['case_id'], unique=False)
    connection = op.get_bind()
    connection.execute(chat.insert().from_select(
        ['case_id', 'sender', 'author_id', 'body', 'created_at'],
        sa.select(message.c.case_id, message.c.author, message.c.author_id, message.c.body, message.c.created_at)
        .where(message.c.channel == 'chat').order_by(message.c.id)))

    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_attachment_message_id_case_message'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_attachment_message_id'))
        batch_op.drop_column('message_id')
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.drop_index('ix_case_message_case_created')
    op.drop_table('case_message')
