"""Judgements stored: relationship health, commitment health, obligation status and
clawback exposure, one row per subject and aspect (`tracker.core.states`).

The domains keep the rows current on every write, and the scan on the days the calendar
changes them. Rows for the records already there are derived by the app, not here (a
migration must not depend on today's models): run `flask --app tracker refresh` once after
this upgrade (`make run` does).

Revision ID: 0006_derived_states
Revises: 0005_dated_items
Create Date: 2026-11-28 14:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_derived_states"
down_revision = "0005_dated_items"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "derived_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("changes_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_derived_states"),
        sa.UniqueConstraint(
            "subject_type", "subject_id", "aspect", name="uq_derived_states_subject"
        ),
    )
    op.create_index("ix_derived_states_scope", "derived_states", ["scope_type", "scope_id"])
    op.create_index("ix_derived_states_changes", "derived_states", ["scope_type", "changes_on"])
    op.create_index("ix_derived_states_aspect_state", "derived_states", ["aspect", "state"])


def downgrade():
    op.drop_table("derived_states")
