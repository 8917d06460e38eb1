"""comments: a client-supplied key, so that a comment sent again (offline outbox, lost reply) is added once

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ux_comment_author_client_key', ['author_id', 'client_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('document_comment', schema=None) as batch_op:
        batch_op.drop_index('ux_comment_author_client_key')
        batch_op.drop_column('client_key')
