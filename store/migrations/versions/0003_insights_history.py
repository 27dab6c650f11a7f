"""source history marker for booking insights

Revision ID: 0003_insights_history
Revises: 0002
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models


revision: str = '0003_insights_history'
down_revision: str | None = '0003_crash_safe_push'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('source_history',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('complete_to', sa.Date(), nullable=False),
    sa.Column('read_at', store.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_source_history'))
    )


def downgrade() -> None:
    op.drop_table('source_history')
