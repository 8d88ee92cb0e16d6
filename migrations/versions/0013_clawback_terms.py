"""Clawback terms as agreed, and disbursements (issue 13):

* the rules proportional (weighted, per obligation), recapture schedule and penalty beside
  largest shortfall and cliff; an obligation's weight and penalty per unit short; a cap;
* interest none, simple or compound, at a fixed rate or from a rate table admins keep
  (`interest_rates`); incentives that had a rate charged simple interest, and keep it;
* money received as dated tranches (`disbursements`), each delivering an expected tranche
  (an agency promise of a disbursement) where there is one.

Revision ID: 0013_clawback_terms
Revises: 0012_exact_money
Create Date: 2026-11-29 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_clawback_terms"
down_revision = "0012_exact_money"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(19, 3).with_variant(sa.BigInteger(), "sqlite")
RULES_BEFORE = "clawback_rule IN ('none', 'pro_rata', 'cliff')"
RULES_AFTER = (
    "clawback_rule IN ('none', 'pro_rata', 'proportional', 'cliff', 'schedule', 'penalty')"
)
INTEREST = "clawback_interest IN ('none', 'simple', 'compound')"


def upgrade():
    with op.batch_alter_table("incentives") as batch:
        batch.drop_constraint(batch.f("ck_incentives_clawback_rule_allowed"), type_="check")
        batch.create_check_constraint(batch.f("ck_incentives_clawback_rule_allowed"), RULES_AFTER)
        batch.add_column(
            sa.Column("clawback_interest", sa.String(16), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("clawback_rate_series", sa.String(60), nullable=True))
        batch.add_column(sa.Column("clawback_schedule", sa.String(200), nullable=True))
        batch.add_column(sa.Column("clawback_cap", MONEY, nullable=True))
        batch.create_check_constraint(batch.f("ck_incentives_clawback_interest_allowed"), INTEREST)
        batch.create_check_constraint(
            batch.f("ck_incentives_clawback_cap_non_negative"), "clawback_cap IS NULL OR clawback_cap >= 0"
        )
    op.execute(
        "UPDATE incentives SET clawback_interest = 'simple' WHERE clawback_interest_pct > 0"
    )
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("clawback_weight", sa.Numeric(9, 4), nullable=True))
        batch.add_column(sa.Column("penalty_per_unit", MONEY, nullable=True))
        batch.create_check_constraint(
            batch.f("ck_obligations_clawback_weight_non_negative"), "clawback_weight IS NULL OR clawback_weight >= 0"
        )
        batch.create_check_constraint(
            batch.f("ck_obligations_penalty_per_unit_non_negative"), "penalty_per_unit IS NULL OR penalty_per_unit >= 0"
        )
    op.create_table(
        "disbursements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incentive_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disbursements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["incentive_id"], ["incentives.id"], ondelete="CASCADE",
            name=op.f("fk_disbursements_incentive_id_incentives"),
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"], ["agency_promises.id"], ondelete="SET NULL",
            name=op.f("fk_disbursements_promise_id_agency_promises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
    )
    op.create_index("ix_disbursements_incentive_id", "disbursements", ["incentive_id"])
    op.create_index("ix_disbursements_promise_id", "disbursements", ["promise_id"])
    op.create_table(
        "interest_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(60), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("rate_pct", sa.Numeric(6, 3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rate_pct >= -100 AND rate_pct <= 100", name=op.f("ck_interest_rates_rate_pct_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interest_rates")),
        sa.UniqueConstraint("series", "effective_on", name=op.f("uq_interest_rates_series_day")),
    )


def downgrade():
    op.drop_table("interest_rates")
    op.drop_index("ix_disbursements_promise_id", table_name="disbursements")
    op.drop_index("ix_disbursements_incentive_id", table_name="disbursements")
    op.drop_table("disbursements")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_constraint(batch.f("ck_obligations_penalty_per_unit_non_negative"), type_="check")
        batch.drop_constraint(batch.f("ck_obligations_clawback_weight_non_negative"), type_="check")
        batch.drop_column("penalty_per_unit")
        batch.drop_column("clawback_weight")
    # The new shapes fold back to the nearest old one; compound interest to simple.
    op.execute(
        "UPDATE incentives SET clawback_rule = 'pro_rata' "
        "WHERE clawback_rule IN ('proportional', 'penalty')"
    )
    op.execute("UPDATE incentives SET clawback_rule = 'cliff' WHERE clawback_rule = 'schedule'")
    op.execute("UPDATE incentives SET clawback_interest_pct = NULL WHERE clawback_interest = 'none'")
    with op.batch_alter_table("incentives") as batch:
        batch.drop_constraint(batch.f("ck_incentives_clawback_cap_non_negative"), type_="check")
        batch.drop_constraint(batch.f("ck_incentives_clawback_interest_allowed"), type_="check")
        batch.drop_column("clawback_cap")
        batch.drop_column("clawback_schedule")
        batch.drop_column("clawback_rate_series")
        batch.drop_column("clawback_interest")
        batch.drop_constraint(batch.f("ck_incentives_clawback_rule_allowed"), type_="check")
        batch.create_check_constraint(batch.f("ck_incentives_clawback_rule_allowed"), RULES_BEFORE)
