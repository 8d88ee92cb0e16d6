"""The migrations build the schema the models describe, on an empty database, and fill in
what they add for the rows already there."""

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestConfig
from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database on the engine the suite runs on."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"tracker_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_empty_database_to_head_matches_models(empty_database_url):
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert tables == set(db.metadata.tables) | {"alembic_version"}

            context = MigrationContext.configure(connection, opts={"compare_type": True})
            drift = compare_metadata(context, db.metadata)
            assert drift == [], f"models and migrations differ: {drift}"

        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _app_on(url: str):
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(MigrationConfig)


def _add_regions_and_partners(connection, regions, partners) -> None:
    when = "2026-01-01 00:00:00"
    for name, country in regions:
        connection.execute(
            text(
                "INSERT INTO regions (name, country_code, created_at) "
                "VALUES (:name, :country, :when)"
            ),
            {"name": name, "country": country, "when": when},
        )
    for name, description in partners:
        connection.execute(
            text(
                "INSERT INTO partners (name, kind, status, country_code, description, "
                "created_at, updated_at) VALUES (:name, 'other', 'active', 'HU', :description, "
                ":when, :when)"
            ),
            {"name": name, "description": description, "when": when},
        )


def test_text_keys_are_filled_in_for_existing_rows(empty_database_url):
    app = _app_on(empty_database_url)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            _add_regions_and_partners(
                connection,
                [("Győr–Moson–Sopron", "HU"), ("Łódź", "PL")],
                [("Министерство", "Ústí  nad Labem"), ("HIPA", None)],
            )
        upgrade()
        with db.engine.connect() as connection:
            regions = connection.execute(text("SELECT name_key FROM regions ORDER BY id")).all()
            partners = connection.execute(
                text("SELECT name_key, search_key FROM partners ORDER BY id")
            ).all()
        assert [row[0] for row in regions] == ["gyor–moson–sopron", "lodz"]
        assert [tuple(row) for row in partners] == [
            ("министерство", "министерство\nusti nad labem"),
            ("hipa", "hipa"),
        ]
        db.engine.dispose()


def test_text_keys_stop_on_names_that_differ_only_in_case_or_accents(empty_database_url):
    app = _app_on(empty_database_url)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            _add_regions_and_partners(
                connection, [("Győr", "HU"), ("GYOR", "HU"), ("Győr", "SK")], [("HIPA", None)]
            )
        config = current_app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match="regions in HU: “GYOR”, “Győr”. Rename"):
            command.upgrade(config, "head")  # as `upgrade()`, without its exit on errors
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                "0003"
            )
            assert "name_key" not in {c["name"] for c in inspect(connection).get_columns("regions")}
        db.engine.dispose()


def test_0011_keeps_a_state_aid_record_and_its_downgrade_folds_it_back(empty_database_url):
    from sqlalchemy.exc import IntegrityError

    app = _app_on(empty_database_url)
    insert = text(
        "INSERT INTO incentives (title, kind, status, granting_partner_id, currency, "
        "clawback_rule, is_state_aid, is_de_minimis, gross_grant_equivalent, aid_intensity_pct, "
        "created_at, updated_at) VALUES (:title, :kind, :status, 1, 'EUR', 'none', true, true, "
        ":gge, :intensity, '2026-01-01', '2026-01-01')"
    )
    good = {"title": "x" * 300, "kind": "guarantee", "status": "withdrawn", "gge": "45000.00",
            "intensity": "37.5"}  # fmt: skip
    with app.app_context():
        upgrade(revision="0011_state_aid_record")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO partners (name, kind, status, country_code, name_key, "
                    "search_key, created_at, updated_at) VALUES ('HIPA', 'economic_agency', "
                    "'active', 'HU', 'hipa', 'hipa', '2026-01-01', '2026-01-01')"
                )
            )
            connection.execute(insert, good)
            stored = connection.execute(text("SELECT gross_grant_equivalent FROM incentives"))
            assert float(stored.scalar()) == 45000.0
        for bad in ({"kind": "gift"}, {"gge": "-1"}, {"status": "lost"}, {"intensity": "100.5"}):
            with pytest.raises(IntegrityError), db.engine.begin() as connection:
                connection.execute(insert, {**good, **bad})  # each check holds
        downgrade(revision="0010_list_indexes")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("incentives")}
            assert not columns & {"gross_grant_equivalent", "beneficiary", "aid_intensity_pct"}
            kept = connection.execute(text("SELECT title, kind, status FROM incentives")).all()
            assert [tuple(row) for row in kept] == [("x" * 200, "other", "clawed_back")]
        db.engine.dispose()
