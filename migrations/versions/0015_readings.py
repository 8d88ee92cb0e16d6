"""Dated readings (issue 13): an obligation's actual, an anchor commitment's volume taken,
a co-investment's spend and a training programme's completions kept with the day each was
true on, so a report of a past day reads the figures of that day.

Nothing is filled in: a record without readings is read by its own column, as before, and
its first reading keeps the figure it had first (`tracker.core.readings.record`).

Revision ID: 0015_readings
Revises: 0014_closed_months
Create Date: 2026-11-29 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_readings"
down_revision = "0014_closed_months"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(19, 3).with_variant(sa.BigInteger(), "sqlite")
SUBJECTS = (("obligation_readings", "obligation_id", "obligations"),
            ("commitment_readings", "commitment_id", "commitments"))  # fmt: skip


def upgrade():
    for table, key, subject in SUBJECTS:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column("measure", sa.String(32), nullable=False),
            sa.Column("as_of", sa.Date(), nullable=False),
            sa.Column("quantity", sa.Numeric(18, 4), nullable=True),
            sa.Column("amount", MONEY, nullable=True),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                [key], [f"{subject}.id"], ondelete="CASCADE",
                name=op.f(f"fk_{table}_{key}_{subject}"),
            ),
            sa.ForeignKeyConstraint(
                ["user_id"], ["users.id"], ondelete="SET NULL",
                name=op.f(f"fk_{table}_user_id_users"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )  # fmt: skip
        op.create_index(op.f(f"ix_{table}_{key}"), table, [key])


def downgrade():
    for table, key, _subject in SUBJECTS:
        op.drop_index(op.f(f"ix_{table}_{key}"), table_name=table)
        op.drop_table(table)
