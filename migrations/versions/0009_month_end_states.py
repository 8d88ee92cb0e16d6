"""Judgements kept as they stood at the end of past months, for the monthly report
(`tracker.core.states.MonthEnd`, `MonthEndState`), and each partner's first engagement in
its stored activity (`tracker.partners.models.PartnerActivity.first_on`); milestones indexed
by completion date, as the report counts those met in a month.

The scan keeps the month just ended; `flask --app tracker refresh` derives the partners'
first engagements and keeps last month's end (`make run` does).

Revision ID: 0009_month_end_states
Revises: 0008_engagement_days
Create Date: 2026-11-28 20:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_month_end_states"
down_revision = "0008_engagement_days"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "month_ends",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name="pk_month_ends"),
    )
    op.create_table(
        "month_end_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("share", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_month_end_states"),
    )
    op.create_index("ix_month_end_states_scope", "month_end_states", ["scope_type", "scope_id"])
    op.create_index("ix_month_end_states_day", "month_end_states", ["as_of", "aspect", "state"])
    with op.batch_alter_table("partner_activity") as batch:
        batch.add_column(sa.Column("first_on", sa.Date(), nullable=True))
        batch.create_index("ix_partner_activity_first_on", ["first_on"])
    op.create_index("ix_milestones_completed_on", "milestones", ["completed_on"])


def downgrade():
    op.drop_index("ix_milestones_completed_on", table_name="milestones")
    with op.batch_alter_table("partner_activity") as batch:
        batch.drop_index("ix_partner_activity_first_on")
        batch.drop_column("first_on")
    op.drop_table("month_end_states")
    op.drop_table("month_ends")
