"""Partner activity stored: each partner's last engagement, engagements in the recent
window and open and overdue follow-ups, what the partner lists show and sort by
(`tracker.partners.models.PartnerActivity`).

Rows for the partners already there are derived by the app: run `flask --app tracker
refresh` once after this upgrade (`make run` does).

Revision ID: 0007_partner_activity
Revises: 0006_derived_states
Create Date: 2026-11-28 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_partner_activity"
down_revision = "0006_derived_states"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=True),
        sa.Column("recent", sa.Integer(), nullable=False),
        sa.Column("open_follow_ups", sa.Integer(), nullable=False),
        sa.Column("overdue_follow_ups", sa.Integer(), nullable=False),
        sa.Column("changes_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_partner_activity"),
        sa.UniqueConstraint("scope_id", name="uq_partner_activity_scope_id"),
    )
    op.create_index("ix_partner_activity_last_on", "partner_activity", ["last_on"])


def downgrade():
    op.drop_table("partner_activity")
