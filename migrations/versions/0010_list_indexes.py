"""Two indexes for long lists:

* milestones by commitment, status and due date, which replaces the index on the commitment
  alone: the commitments list reads each row's next open milestone with one seek;
* dated items by scope type, due date and scope: the incentives' deadlines page counts and
  sorts its window from the index alone, not from every record's dated items.

Revision ID: 0010_list_indexes
Revises: 0009_month_end_states
Create Date: 2026-11-29 05:00:00

"""

from alembic import op

revision = "0010_list_indexes"
down_revision = "0009_month_end_states"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_milestones_commitment_status_due", "milestones", ["commitment_id", "status", "due_on"]
    )
    op.drop_index("ix_milestones_commitment_id", table_name="milestones")
    op.create_index(
        "ix_dated_items_scope_type_due", "dated_items", ["scope_type", "due_on", "scope_id"]
    )


def downgrade():
    op.drop_index("ix_dated_items_scope_type_due", table_name="dated_items")
    op.create_index("ix_milestones_commitment_id", "milestones", ["commitment_id"])
    op.drop_index("ix_milestones_commitment_status_due", table_name="milestones")
