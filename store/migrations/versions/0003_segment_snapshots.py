"""segment snapshots: people per segment after each audience-sync run

Revision ID: 0003_segment_snapshots
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models


revision: str = '0003_segment_snapshots'
down_revision: str | None = '0003_insights_history'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('segment_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('as_of', store.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('segments', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment_snapshots'))
    )
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_snapshots_as_of'), ['as_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_snapshots_as_of'))
    op.drop_table('segment_snapshots')
