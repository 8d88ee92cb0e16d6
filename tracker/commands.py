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


@click.command("scan")
@with_appcontext
def scan_command() -> None:
    """Run the monitors once: raise due alerts, send pending e-mails, print what was raised."""
    from tracker.monitoring.jobs import run_scan

    run = run_scan()
    if run is None:
        click.echo("Another scheduler is scanning right now; nothing done.")
        return
    if run.outcome == "failed":
        click.echo(f"Scan failed: {run.error}", err=True)
        sys.exit(1)
    raised = getattr(run, "raised_alerts", [])
    for alert in raised:
        click.echo(f"  {alert.due_on.isoformat()}  {alert.message}")
    click.echo(
        f"Raised {len(raised)} alert{'s' if len(raised) != 1 else ''}"
        + ("" if raised else " (nothing new)")
        + f", resolved {run.resolved}, sent {run.sent}, failed to send {run.failed}."
    )
    if run.error:
        click.echo(f"Items that failed (the rest were scanned):\n{run.error}", err=True)


@click.command("digest")
@click.option("--force", is_flag=True, help="Send even if today's digest went out already.")
@with_appcontext
def digest_command(force: bool) -> None:
    """Send the daily digest of open alerts now."""
    from tracker.monitoring.jobs import run_digest

    run = run_digest(force=force)
    if run is None:
        click.echo(
            "Today's digest has gone out already (use --force), or another process is sending it."
        )
        return
    click.echo(f"Digest: {run.sent} sent, {run.failed} failed ({run.outcome}).")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the monitoring scheduler in the foreground, as its own process (one replica)."""
    from flask import current_app

    from tracker.monitoring.scheduler import build

    app = current_app._get_current_object()
    click.echo(
        f"Scheduler running: scan every {app.config['SCAN_INTERVAL_MINUTES']} min, digest at "
        f"{app.config['DIGEST_HOUR']:02d}:00 UTC. Ctrl-C stops it."
    )
    build(app, blocking=True).start()


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve with the development server, and the scheduler in-process when enabled."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from tracker.monitoring.scheduler import start_in_process

    app = current_app._get_current_object()
    if app.config["SCHEDULER_ENABLED"]:
        start_in_process(app)
        click.echo("Scheduler running in this process (SCHEDULER_ENABLED).")
    if not app.config["MAIL_ENABLED"]:
        click.echo("E-mail is off: set SMTP_HOST to send alerts (they wait, unsent, until then).")
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
