"""Milestones indexed by commitment, status and due date, which replaces the index on the
commitment alone: the commitments list reads each row's next open milestone with one seek.

Revision ID: 0010_milestones_by_status
Revises: 0009_month_end_states
Create Date: 2026-11-29 05:00:00

"""

from alembic import op

revision = "0010_milestones_by_status"
down_revision = "0009_month_end_states"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_milestones_commitment_status_due", "milestones", ["commitment_id", "status", "due_on"]
    )
    op.drop_index("ix_milestones_commitment_id", table_name="milestones")


def downgrade():
    op.create_index("ix_milestones_commitment_id", "milestones", ["commitment_id"])
    op.drop_index("ix_milestones_commitment_status_due", table_name="milestones")
