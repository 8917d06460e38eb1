"""annotations: a client-supplied key, so that a create sent again (offline outbox, lost reply) is applied once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ux_annotation_author_client_key', ['author_id', 'client_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('annotation', schema=None) as batch_op:
        batch_op.drop_index('ux_annotation_author_client_key')
        batch_op.drop_column('client_key')
