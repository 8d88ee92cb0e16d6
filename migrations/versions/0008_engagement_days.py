"""Engagements per day stored, in all and per partner kind
(`tracker.partners.models.EngagementDay`): the dashboard's engagement charts add up a year
of days instead of a year of engagements.

Rows for the engagements already there are derived by the app: run `flask --app tracker
refresh` once after this upgrade (`make run` does).

Revision ID: 0008_engagement_days
Revises: 0007_partner_activity
Create Date: 2026-11-28 14:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_engagement_days"
down_revision = "0007_partner_activity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "engagement_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("partner_kind", sa.String(length=32), nullable=False),
        sa.Column("engagements", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_engagement_days"),
        sa.UniqueConstraint(
            "scope_id", "partner_kind", name="uq_engagement_days_scope_id_partner_kind"
        ),
    )


def downgrade():
    op.drop_table("engagement_days")
