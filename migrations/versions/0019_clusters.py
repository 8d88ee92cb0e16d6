"""Cluster intelligence (issue 16): sectors and the capability catalogue with each sector's
required set and each capability's inputs, the capabilities partners provide, supply links
between partners, the scorecard's weights, and the places of regions and partners.

Revision ID: 0019_clusters
Revises: 0018_process_and_request_ids
Create Date: 2026-11-29 22:04:24

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_clusters"
down_revision = "0018_process_and_request_ids"
branch_labels = None
depends_on = None

MODES = "'road', 'rail', 'sea', 'air'"
ITEM_KINDS = (
    "'application_deadline', 'decision', 'obligation_due', 'report_due', 'term_end', "
    "'promise_due', 'milestone_due', 'follow_up_due'"
)
ANCHOR_CHECKS = [
    ("annual_tonnage_non_negative", "annual_tonnage IS NULL OR annual_tonnage >= 0"),
    ("transport_mode_allowed", f"transport_mode IN ({MODES})"),
    ("replaced_mode_allowed", f"replaced_mode IN ({MODES})"),
    ("replaced_country_iso3166", "replaced_country IS NULL OR length(replaced_country) = 2"),
]


def upgrade():
    op.create_table(
        "capabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "kind IN ('production', 'process', 'tooling', 'logistics', 'testing', 'training', "
            "'service')",
            name=op.f("ck_capabilities_kind_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capabilities")),
        sa.UniqueConstraint("name_key", name=op.f("uq_capabilities_name_key")),
    )
    op.create_table(
        "score_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "weight >= 0 AND weight <= 100", name=op.f("ck_score_weights_weight_percent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_weights")),
        sa.UniqueConstraint("measure", name=op.f("uq_score_weights_measure")),
    )
    op.create_table(
        "sectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sectors")),
        sa.UniqueConstraint("name_key", name=op.f("uq_sectors_name_key")),
    )
    op.create_table(
        "capability_inputs",
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("input_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_capability_inputs_capability_id_capabilities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["input_id"],
            ["capabilities.id"],
            name=op.f("fk_capability_inputs_input_id_capabilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("capability_id", "input_id", name=op.f("pk_capability_inputs")),
    )
    with op.batch_alter_table("capability_inputs", schema=None) as batch_op:
        batch_op.create_index("ix_capability_inputs_input_id", ["input_id"], unique=False)

    op.create_table(
        "sector_capabilities",
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_sector_capabilities_capability_id_capabilities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_sector_capabilities_sector_id_sectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sector_id", "capability_id", name=op.f("pk_sector_capabilities")),
    )
    with op.batch_alter_table("sector_capabilities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sector_capabilities_capability_id", ["capability_id"], unique=False
        )

    op.create_table(
        "partner_capabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("capacity_unit", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0",
            name=op.f("ck_partner_capabilities_capacity_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_partner_capabilities_capability_id_capabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_capabilities_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_capabilities")),
        sa.UniqueConstraint(
            "partner_id",
            "capability_id",
            name=op.f("uq_partner_capabilities_partner_id_capability_id"),
        ),
    )
    with op.batch_alter_table("partner_capabilities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_capabilities_capability_id"), ["capability_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_capabilities_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "supply_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=True),
        sa.Column("annual_tonnage", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("transport_mode", sa.String(length=8), nullable=True),
        sa.Column("replaced_country", sa.String(length=2), nullable=True),
        sa.Column("replaced_mode", sa.String(length=8), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "replaced_mode IN ('road', 'rail', 'sea', 'air')",
            name=op.f("ck_supply_links_replaced_mode_allowed"),
        ),
        sa.CheckConstraint(
            "transport_mode IN ('road', 'rail', 'sea', 'air')",
            name=op.f("ck_supply_links_transport_mode_allowed"),
        ),
        sa.CheckConstraint(
            "annual_tonnage IS NULL OR annual_tonnage >= 0",
            name=op.f("ck_supply_links_annual_tonnage_non_negative"),
        ),
        sa.CheckConstraint("buyer_id <> supplier_id", name=op.f("ck_supply_links_not_itself")),
        sa.CheckConstraint(
            "replaced_country IS NULL OR length(replaced_country) = 2",
            name=op.f("ck_supply_links_replaced_country_iso3166"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["partners.id"],
            name=op.f("fk_supply_links_buyer_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capabilities.id"],
            name=op.f("fk_supply_links_capability_id_capabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_supply_links_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["partners.id"],
            name=op.f("fk_supply_links_supplier_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_links")),
        sa.UniqueConstraint(
            "buyer_id",
            "supplier_id",
            "capability_id",
            name=op.f("uq_supply_links_buyer_id_supplier_id_capability_id"),
        ),
    )
    with op.batch_alter_table("supply_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supply_links_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supply_links_capability_id"), ["capability_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supply_links_supplier_id"), ["supplier_id"], unique=False
        )

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("annual_tonnage", sa.Numeric(precision=18, scale=4), nullable=True)
        )
        batch_op.add_column(sa.Column("transport_mode", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("replaced_country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("replaced_mode", sa.String(length=8), nullable=True))
        for name, condition in ANCHOR_CHECKS:
            batch_op.create_check_constraint(batch_op.f(f"ck_commitments_{name}"), condition)

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_alerts_kind_allowed"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_alerts_kind_allowed"), f"kind IN ({ITEM_KINDS}, 'offshore_dependency')"
        )

    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Numeric(precision=8, scale=5), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Numeric(precision=8, scale=5), nullable=True))

    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sector_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Numeric(precision=8, scale=5), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Numeric(precision=8, scale=5), nullable=True))
        batch_op.create_index(batch_op.f("ix_regions_sector_id"), ["sector_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_regions_sector_id_sectors"), "sectors", ["sector_id"], ["id"]
        )


def downgrade():
    op.execute("DELETE FROM alerts WHERE kind = 'offshore_dependency'")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_alerts_kind_allowed"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_alerts_kind_allowed"), f"kind IN ({ITEM_KINDS})"
        )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_regions_sector_id_sectors"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_regions_sector_id"))
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("sector_id")

    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        for name, _condition in ANCHOR_CHECKS:
            batch_op.drop_constraint(batch_op.f(f"ck_commitments_{name}"), type_="check")
        batch_op.drop_column("replaced_mode")
        batch_op.drop_column("replaced_country")
        batch_op.drop_column("transport_mode")
        batch_op.drop_column("annual_tonnage")

    with op.batch_alter_table("supply_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supply_links_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supply_links_capability_id"))
        batch_op.drop_index(batch_op.f("ix_supply_links_buyer_id"))

    op.drop_table("supply_links")
    with op.batch_alter_table("partner_capabilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_capabilities_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_capabilities_capability_id"))

    op.drop_table("partner_capabilities")
    with op.batch_alter_table("sector_capabilities", schema=None) as batch_op:
        batch_op.drop_index("ix_sector_capabilities_capability_id")

    op.drop_table("sector_capabilities")
    with op.batch_alter_table("capability_inputs", schema=None) as batch_op:
        batch_op.drop_index("ix_capability_inputs_input_id")

    op.drop_table("capability_inputs")
    op.drop_table("sectors")
    op.drop_table("score_weights")
    op.drop_table("capabilities")
