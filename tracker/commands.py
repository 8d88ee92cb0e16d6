"""`flask --app tracker …` commands that are not Flask-Migrate's."""

import os
import sys
import time

import click
from flask.cli import with_appcontext

from tracker.auth import operations
from tracker.auth.services import find_user_by_email
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.reports.imports import KINDS
from tracker.reports.lists import LISTS


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
        user = operations.create_user(email, name, role, password, actor=None)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"Created {user.role} {user.email}.")


@click.command("create-token")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option("--name", default="Command line", show_default=True, help="What will use it.")
@click.option("--read-only", is_flag=True, help="Read only: the token can change nothing.")
@click.option(
    "--expires-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The first day it no longer works (YYYY-MM-DD); left out, until revoked.",
)
@with_appcontext
def create_token_command(email: str, name: str, read_only: bool, expires_on) -> None:
    """Make a personal API token for a user and print it, alone, on the last line (it is
    not kept: only its SHA-256 is). Exits 1 with a one-line reason, writing nothing."""
    user = find_user_by_email(email)
    try:
        if user is None:
            raise DomainError(f"No user has the e-mail {email.strip()}.")
        token, secret = operations.create_token(
            user,
            name,
            read_only=read_only,
            expires_on=expires_on.date() if expires_on else None,
            actor=None,
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    access = "read-only" if token.read_only else "read and write"
    click.echo(f"API token “{token.name}” for {user.email} ({access}). Shown once:")
    click.echo(secret)


def runs_production(app) -> bool:
    """True when the app runs the production configuration: `TRACKER_ENV` is `production` or
    unset, as `create_app()` reads it (a test app built from a test configuration is not)."""
    return os.environ.get("TRACKER_ENV", "production") == "production" and not app.testing


@click.command("seed-demo")
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    metavar="N",
    help="Instead of the demo: fill an empty database with a portfolio N times its size "
    "(N = 100: 3,000 partners, 200,000 engagements, 200,000 milestones …), for measuring.",
)
@with_appcontext
def seed_demo_command(scale: int | None) -> None:
    """Load the demo data set once; a second run changes nothing and says so. With --scale N,
    fill an empty database with a portfolio N times the demo's size instead.

    Refused in production: the demo users share one published password.
    """
    from flask import current_app

    from tracker.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

    if runs_production(current_app):
        click.echo(
            "Error: seed-demo refuses to run in production: the demo users share a published "
            "password. Load the demo only into a development database (TRACKER_ENV=development).",
            err=True,
        )
        sys.exit(1)
    if scale is not None:
        _seed_scale(scale)
    elif seed_demo():
        db.session.commit()
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data is already loaded; nothing changed.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in DEMO_USERS:
        click.echo(f"  {role:<8} {email:<36} {name}")


def _seed_scale(factor: int) -> None:
    import time

    from tracker.demo.scale import refuse_unless_empty, seed_scale

    started = time.perf_counter()
    try:
        refuse_unless_empty()
        click.echo(f"Generating a portfolio {factor}× the demo's size:")
        counts = seed_scale(factor, echo=click.echo)
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(1)
    elapsed = time.perf_counter() - started
    click.echo("Rows per table:")
    for table, count in counts.items():
        click.echo(f"  {table:<26} {count:>10,}")
    click.echo(f"Loaded in {elapsed:.1f} s.")


@click.command("refresh")
@with_appcontext
def refresh_command() -> None:
    """Derive the stored state (dated items, health, status, exposure) again from the records,
    and keep last month's end for its board report if the scan has not yet.

    The app keeps it current on every write; run this after an upgrade that adds some of
    it, a restore, or an edit made outside the app."""
    from tracker.core import derived, states
    from tracker.core.types import today

    started = time.perf_counter()
    counts = derived.refresh_all()
    states.keep_last_month_end(today())
    db.session.commit()
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{table} {count:,}" for table, count in counts.items())
    click.echo(f"Stored state derived again in {elapsed:.1f} s: {rows}.")


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

    from tracker.monitoring.locks import HOLDER
    from tracker.monitoring.scheduler import build

    app = current_app._get_current_object()
    click.echo(
        f"Scheduler {HOLDER} running: scan every {app.config['SCAN_INTERVAL_MINUTES']} min, "
        f"digest at {app.config['DIGEST_HOUR']:02d}:00 UTC. Ctrl-C stops it."
    )
    build(app, blocking=True).start()


def _quiet_request_handler():
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        """Names no server software or Python version in the `Server` header: they tell an
        attacker which published flaws to try."""

        def version_string(self) -> str:
            return "Ecosystem Tracker"

    return QuietRequestHandler


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
    run_simple(
        host,
        port,
        app,
        use_reloader=False,
        use_debugger=False,
        threaded=True,
        request_handler=_quiet_request_handler(),
    )


IMPORT_KINDS = tuple(KINDS)
EXPORT_LISTS = tuple(LISTS)


@click.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show the preview; write nothing.")
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    help="Import as this user: their permissions apply and the history names them. "
    "Default: the system, which may change everything.",
)
@with_appcontext
def import_command(kind: str, file: str, dry_run: bool, as_email: str | None) -> None:
    """Import KIND (partners, contacts, incentives, milestones) from a CSV or XLSX FILE.

    Prints what would be created and updated and every bad row with its line number.
    Any bad row: exits 1 and writes nothing. Otherwise writes all rows in one transaction.
    """
    from pathlib import Path

    from flask import current_app

    from tracker.reports import imports

    user = None
    if as_email:
        user = find_user_by_email(as_email)
        if user is None or not user.active:
            click.echo(f"Error: no active user has the e-mail {as_email}.", err=True)
            sys.exit(1)
        if not imports.may_import(user, kind):
            click.echo(f"Error: {user.name} ({user.role}) may not import {kind}.", err=True)
            sys.exit(1)
    path = Path(file)
    limit = current_app.config.get("IMPORT_MAX_BYTES") or imports.DEFAULT_MAX_BYTES
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    preview = imports.parse_upload(kind, path.name, data, user)
    for message in preview.file_errors:
        click.echo(f"Error: {message}", err=True)
    if preview.file_errors:
        sys.exit(1)
    for plan in preview.plans:
        if plan.action == "create":
            click.echo(f"  line {plan.line}: create {plan.label}")
        elif plan.action == "update":
            changes = "; ".join(
                f"{c.header}: {c.old if c.old is not None else '—'} → "
                f"{c.new if c.new is not None else '—'}"
                for c in plan.changes
            )
            click.echo(f"  line {plan.line}: update {plan.label} ({changes})")
    for error in preview.errors:
        label = f" {error.label}:" if error.label else ""
        click.echo(f"  line {error.line}:{label} {'; '.join(error.reasons)}", err=True)
    click.echo(f"{path.name}: {preview.summary()}.")
    if preview.errors:
        click.echo("Nothing was written: fix the bad rows and run the import again.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    try:
        result = imports.apply(preview, user=user)
    except imports.ImportFailed as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"Imported: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@click.command("export")
@click.argument("list_name", metavar="LIST", type=click.Choice(EXPORT_LISTS))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="Default: from the output file's extension, else csv.",
)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(list_name: str, fmt: str | None, output: str) -> None:
    """Export LIST, with its page's default filters and order, as CSV or XLSX to --output."""
    from pathlib import Path

    from tracker.core.tables import export_file

    path = Path(output)
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    content = export_file(LISTS[list_name], fmt)
    path.write_bytes(content)
    click.echo(f"Wrote {list_name} as {fmt.upper()} to {path} ({len(content):,} bytes).")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@with_appcontext
def backup_command(file: str, force: bool) -> None:
    """Write every table to FILE (gzip'd JSON lines) while the app keeps running.

    The file restores into SQLite or PostgreSQL with `restore`. It holds password hashes and
    sign-in tokens: it is created readable by its owner only; keep it as safe as the database.
    """
    from pathlib import Path

    from tracker.core.backup import BackupError, write_backup

    if Path(file).exists() and not force:
        click.echo(f"Error: {file} already exists; choose another name or pass --force.", err=True)
        sys.exit(1)
    try:
        outcome = write_backup(file)
    except BackupError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"Backed up {outcome.total:,} rows from {len(outcome.rows)} tables "
        f"(revision {outcome.revision}) to {file}."
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Delete every row in this database first.")
@click.option("--yes", is_flag=True, help="With --replace: do not ask for confirmation.")
@with_appcontext
def restore_command(file: str, replace: bool, yes: bool) -> None:
    """Load a backup FILE into this database, all or nothing.

    The database must be at the backup's schema revision (`flask --app tracker db upgrade`)
    and empty, unless --replace is given.
    """
    from tracker.core.backup import BackupError, restore_backup

    if replace and not yes:
        click.confirm(
            "This deletes every row in this database and loads the backup instead. Go on?",
            abort=True,
        )
    try:
        outcome = restore_backup(file, replace=replace)
    except BackupError as error:
        click.echo(f"Error: {error}", err=True)
        click.echo("Nothing was changed.", err=True)
        sys.exit(1)
    click.echo(
        f"Restored {outcome.total:,} rows into {len(outcome.rows)} tables from {file} "
        f"(revision {outcome.revision})."
    )
