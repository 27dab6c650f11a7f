"""brevo opt-outs from webhooks

Revision ID: 0003_brevo_opt_outs
Revises: 0002
Create Date: 2026-12-06 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models


revision: str = '0003_brevo_opt_outs'
down_revision: str | None = '0003_segment_snapshots'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('brevo_opt_outs',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('opted_out_at', store.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_brevo_opt_outs'))
    )


def downgrade() -> None:
    op.drop_table('brevo_opt_outs')
