"""Dated items stored: one row per date something is still owed by (`tracker.core.items`).

The domains keep the rows current on every write from now on. Rows for the records already
there are derived by the app, not here (a migration must not depend on today's models):
run `flask --app tracker refresh` once after this upgrade (`make run` does).

Revision ID: 0005_dated_items
Revises: 0004_text_keys
Create Date: 2026-11-28 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_dated_items"
down_revision = "0004_text_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dated_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_dated_items_owner_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name="fk_dated_items_partner_id_partners",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dated_items"),
        sa.UniqueConstraint("subject_type", "subject_id", "kind", name="uq_dated_items_subject"),
    )
    op.create_index("ix_dated_items_scope", "dated_items", ["scope_type", "scope_id"])
    op.create_index("ix_dated_items_kind_due", "dated_items", ["kind", "due_on"])
    op.create_index("ix_dated_items_due", "dated_items", ["due_on"])
    op.create_index("ix_dated_items_owner_due", "dated_items", ["owner_id", "due_on"])
    op.create_index("ix_dated_items_partner_due", "dated_items", ["partner_id", "due_on"])


def downgrade():
    op.drop_table("dated_items")
