"""Production shape (issue 15): each job run names the process that ran it, and a webhook
delivery the request that caused it.

Revision ID: 0018_process_and_request_ids
Revises: 0017_webhooks
Create Date: 2026-11-29 19:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_process_and_request_ids"
down_revision = "0017_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.add_column(sa.Column("process", sa.String(length=200), nullable=True))
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_column("request_id")
    with op.batch_alter_table("job_runs") as batch_op:
        batch_op.drop_column("process")
