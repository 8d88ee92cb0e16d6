"""Closed board months (issue 13): a month's report kept as it was closed — the page's
report, the PDF and the workbook — so it reads the same after later edits.

Revision ID: 0014_closed_months
Revises: 0013_clawback_terms
Create Date: 2026-11-29 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_closed_months"
down_revision = "0013_clawback_terms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "closed_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("prepared_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_closed_months_closed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_months")),
        sa.UniqueConstraint("month", name=op.f("uq_closed_months_month")),
    )


def downgrade():
    op.drop_table("closed_months")
