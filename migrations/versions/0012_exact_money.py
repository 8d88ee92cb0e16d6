"""Exact money (issue 13): every amount kept exactly on both databases, to three decimals.

PostgreSQL: NUMERIC(18, 2) becomes NUMERIC(19, 3) (amounts past 10^15, and the fils of a
dinar). SQLite kept NUMERIC as a float (10^15 + 0.37 came back as …0.38): its money columns
become INTEGERs of thousandths (`tracker.core.types.ExactMoney`), so values and SQL sums are
exact. The downgrade turns them back, rounding to cents.

Revision ID: 0012_exact_money
Revises: 0011_state_aid_record
Create Date: 2026-11-29 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_exact_money"
down_revision = "0011_state_aid_record"
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    "derived_states": ["amount"],
    "month_end_states": ["amount"],
    "incentives": [
        "amount_offered",
        "amount_awarded",
        "amount_received",
        "eligible_cost",
        "gross_grant_equivalent",
    ],
    "agency_promises": ["amount"],
    "commitments": ["value", "budget", "spend_to_date"],
    "contributions": ["amount", "paid_to_date"],
}
BEFORE = sa.Numeric(18, 2)
AFTER = sa.Numeric(19, 3)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _retype(old, new) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=old, type_=new)


def upgrade():
    if not _sqlite():
        _retype(BEFORE, AFTER)
        return
    _retype(BEFORE, sa.BigInteger())
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            op.execute(
                f"UPDATE {table} SET {column} = CAST(ROUND({column} * 1000) AS INTEGER) "  # noqa: S608
                f"WHERE {column} IS NOT NULL"
            )


def downgrade():
    if not _sqlite():
        _retype(AFTER, BEFORE)
        return
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            op.execute(
                f"UPDATE {table} SET {column} = ROUND({column} / 1000.0, 2) "  # noqa: S608
                f"WHERE {column} IS NOT NULL"
            )
    _retype(sa.BigInteger(), BEFORE)
