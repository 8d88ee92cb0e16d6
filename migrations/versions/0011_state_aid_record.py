"""The state-aid record of real awards (issue 13):

* loans and guarantees in de minimis: an incentive's gross grant equivalent (the aid a loan
  or guarantee holds, which the ceiling counts instead of its amount), and the guarantee as
  a kind of incentive;
* what a national register or the Commission's transparency module keeps of an award: the
  beneficiary in the group and its national ID, the project or contract number, the total
  eligible cost, the aid intensity and the objective (the aid type is its instrument);
* "withdrawn" as a status of its own, apart from "clawed back";
* titles up to 500 characters (a register's project titles run past 200).

Revision ID: 0011_state_aid_record
Revises: 0010_list_indexes
Create Date: 2026-11-29 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_state_aid_record"
down_revision = "0010_list_indexes"
branch_labels = None
depends_on = None

KINDS_BEFORE = (
    "kind IN ('grant', 'tax_credit', 'tax_abatement', 'land', 'infrastructure', "
    "'training_subsidy', 'loan', 'regulatory_fast_track', 'other')"
)
KINDS_AFTER = KINDS_BEFORE.replace("'loan', ", "'loan', 'guarantee', ")
STATUSES_BEFORE = (
    "status IN ('identified', 'preparing', 'submitted', 'awarded', 'in_compliance', "
    "'closed', 'rejected', 'clawed_back')"
)
STATUSES_AFTER = STATUSES_BEFORE.replace("'clawed_back'", "'clawed_back', 'withdrawn'")
COLUMNS = [
    ("gross_grant_equivalent", sa.Numeric(18, 2)),
    ("aid_objective", sa.String(100)),
    ("beneficiary", sa.String(200)),
    ("beneficiary_national_id", sa.String(40)),
    ("project_number", sa.String(60)),
    ("eligible_cost", sa.Numeric(18, 2)),
    ("aid_intensity_pct", sa.Numeric(5, 2)),
]
CHECKS = [
    (
        "ck_incentives_gross_grant_equivalent_non_negative",
        "gross_grant_equivalent IS NULL OR gross_grant_equivalent >= 0",
    ),
    ("ck_incentives_eligible_cost_non_negative", "eligible_cost IS NULL OR eligible_cost >= 0"),
    (
        "ck_incentives_aid_intensity_pct_range",
        "aid_intensity_pct IS NULL OR (aid_intensity_pct >= 0 AND aid_intensity_pct <= 100)",
    ),
]


def upgrade():
    with op.batch_alter_table("incentives", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        for name, condition in CHECKS:
            batch_op.create_check_constraint(batch_op.f(name), condition)
        batch_op.drop_constraint(batch_op.f("ck_incentives_kind_allowed"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_incentives_kind_allowed"), KINDS_AFTER)
        batch_op.drop_constraint(batch_op.f("ck_incentives_status_allowed"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_incentives_status_allowed"), STATUSES_AFTER)
        batch_op.alter_column(
            "title", type_=sa.String(500), existing_type=sa.String(200), existing_nullable=False
        )


def downgrade():
    # Before 0011 a guarantee had no kind of its own ("other"), a withdrawn award no status
    # (it was "clawed back"), and a title ended at 200 characters.
    op.execute("UPDATE incentives SET kind = 'other' WHERE kind = 'guarantee'")
    op.execute("UPDATE incentives SET status = 'clawed_back' WHERE status = 'withdrawn'")
    op.execute("UPDATE incentives SET title = substr(title, 1, 200)")
    with op.batch_alter_table("incentives", schema=None) as batch_op:
        batch_op.alter_column(
            "title", type_=sa.String(200), existing_type=sa.String(500), existing_nullable=False
        )
        batch_op.drop_constraint(batch_op.f("ck_incentives_status_allowed"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_incentives_status_allowed"), STATUSES_BEFORE
        )
        batch_op.drop_constraint(batch_op.f("ck_incentives_kind_allowed"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_incentives_kind_allowed"), KINDS_BEFORE)
        for name, _ in CHECKS:
            batch_op.drop_constraint(batch_op.f(name), type_="check")
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
