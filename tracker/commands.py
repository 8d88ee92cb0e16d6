"""`flask --app tracker …` commands that are not Flask-Migrate's."""

import sys

import click
from flask.cli import with_appcontext

from tracker.auth import services
from tracker.core.errors import DomainError
from tracker.extensions import db


@click.command("create-user")
@click.option("--email", required=True, help="Sign-in e-mail address.")
@click.option("--name", required=True, help="Full name shown in the app.")
@click.option("--role", required=True, help="admin, manager, owner or viewer.")
@click.option("--password", help="Prompted for (hidden, twice) when left out.")
@with_appcontext
def create_user_command(email: str, name: str, role: str, password: str | None) -> None:
    """Create a user. Exits 1 with a one-line reason, writing nothing, on bad input."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, name, role, password)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"Created {user.role} {user.email}.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data set once; a second run changes nothing and says so."""
    from tracker.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

    if seed_demo():
        db.session.commit()
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data is already loaded; nothing changed.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in DEMO_USERS:
        click.echo(f"  {role:<8} {email:<36} {name}")
