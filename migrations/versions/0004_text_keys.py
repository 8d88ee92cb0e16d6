"""Names unique and lists searched in any case, with or without accents: folded keys.

Regions and partners keep `name_key` (their name folded by `tracker.core.text.fold`), unique
with the country instead of the name itself; partners, engagements, incentives and
commitments keep `search_key`, their searched fields folded. Existing rows get their keys
here, from the same function the app keeps them with. Names that differ only in case or
accents cannot both stay: the upgrade then stops before changing anything and names them.

Revision ID: 0004_text_keys
Revises: 0003
Create Date: 2026-11-28 04:12:46.599554

"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from tracker.core.text import fold, name_key

# revision identifiers, used by Alembic.
revision = "0004_text_keys"
down_revision = "0003"
branch_labels = None
depends_on = None

NAMED = ("regions", "partners")
# The fields each table's list searches, as the models declare them (`__searched__`) today.
SEARCHED = {
    "partners": ("name", "description", "website"),
    "engagements": ("subject", "summary", "outcome"),
    "incentives": ("title", "description", "aid_scheme_number"),
    "commitments": ("title", "description"),
}


def _table(name, *columns):
    return sa.table(name, sa.column("id", sa.Integer), *(sa.column(c) for c in columns))


def _collisions(connection):
    """Every group of names that fold to one key in one country, table by table."""
    found = []
    for name in NAMED:
        table = _table(name, "name", "country_code")
        groups = defaultdict(list)
        for row in connection.execute(sa.select(table.c.name, table.c.country_code)):
            groups[(name_key(row.name), row.country_code)].append(row.name)
        for (_, country), names in sorted(groups.items()):
            if len(names) > 1:
                listed = ", ".join(f"“{n}”" for n in sorted(names))
                found.append(f"{name} in {country}: {listed}")
    return found


def upgrade():
    connection = op.get_bind()
    collisions = _collisions(connection)
    if collisions:
        raise RuntimeError(
            "Names must now be unique in any case and with or without accents, but these "
            "differ only so: " + "; ".join(collisions) + ". Rename all but one of each "
            "group, then run the upgrade again. Nothing was changed."
        )

    for name in NAMED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("name_key", sa.String(length=500), nullable=True))
    for name in SEARCHED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("search_key", sa.Text(), server_default="", nullable=False)
            )

    for name in NAMED:
        table = _table(name, "name", "name_key")
        rows = connection.execute(sa.select(table.c.id, table.c.name)).all()
        if rows:
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("row_id")),
                [{"row_id": row.id, "name_key": name_key(row.name)} for row in rows],
            )
    for name, fields in SEARCHED.items():
        table = _table(name, *fields, "search_key")
        rows = connection.execute(sa.select(table.c.id, *(table.c[f] for f in fields))).all()
        if rows:
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("row_id")),
                [
                    {
                        "row_id": row.id,
                        "search_key": "\n".join(
                            folded for folded in (fold(row._mapping[f]) for f in fields) if folded
                        ),
                    }
                    for row in rows
                ],
            )

    for name in NAMED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column("name_key", existing_type=sa.String(length=500), nullable=False)
            batch_op.drop_constraint(f"uq_{name}_name_country_code", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{name}_name_key_country_code", ["name_key", "country_code"]
            )


def downgrade():
    for name in reversed(NAMED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{name}_name_key_country_code", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{name}_name_country_code", ["name", "country_code"]
            )
            batch_op.drop_column("name_key")
    for name in reversed(SEARCHED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("search_key")
