"""Loans and guarantees in de minimis: an incentive's gross grant equivalent (the aid a loan
or guarantee holds, which the ceiling counts instead of its amount), and the guarantee as a
kind of incentive.

Revision ID: 0011_gross_grant_equivalent
Revises: 0010_list_indexes
Create Date: 2026-11-29 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_gross_grant_equivalent"
down_revision = "0010_list_indexes"
branch_labels = None
depends_on = None

BEFORE = (
    "kind IN ('grant', 'tax_credit', 'tax_abatement', 'land', 'infrastructure', "
    "'training_subsidy', 'loan', 'regulatory_fast_track', 'other')"
)
AFTER = BEFORE.replace("'loan', ", "'loan', 'guarantee', ")


def upgrade():
    with op.batch_alter_table("incentives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gross_grant_equivalent", sa.Numeric(18, 2), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_incentives_gross_grant_equivalent_non_negative"),
            "gross_grant_equivalent IS NULL OR gross_grant_equivalent >= 0",
        )
        batch_op.drop_constraint(batch_op.f("ck_incentives_kind_allowed"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_incentives_kind_allowed"), AFTER)


def downgrade():
    # Before 0011 a guarantee had no kind of its own: it was "other".
    op.execute("UPDATE incentives SET kind = 'other' WHERE kind = 'guarantee'")
    with op.batch_alter_table("incentives", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_incentives_kind_allowed"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_incentives_kind_allowed"), BEFORE)
        batch_op.drop_constraint(
            batch_op.f("ck_incentives_gross_grant_equivalent_non_negative"), type_="check"
        )
        batch_op.drop_column("gross_grant_equivalent")
