"""Finding users by e-mail for other domains' imports (an owner column, a manager column).

Auth declares no import kind of its own: users are created by an admin or `flask
create-user`. These helpers let a partner, incentive or commitment import name a person
by e-mail, looked up once per file.
"""

from sqlalchemy import select

from tracker.auth.models import User
from tracker.core.imports import Context, Row
from tracker.extensions import db


def user_lookup(context: Context) -> dict[str, User]:
    """Every user by lower-cased e-mail, loaded once per file."""
    if "users" not in context.lookups:
        users = db.session.scalars(select(User))
        context.lookups["users"] = {user.email.lower(): user for user in users}
    return context.lookups["users"]


def user_by_email(email: str | None, row: Row, context: Context, header: str) -> int | None:
    """The id of the active user with `email`; otherwise None, with the reason on the row
    ("<header>: no active user has the e-mail …")."""
    if email is None:
        return None
    user = user_lookup(context).get(email.lower())
    if user is None or not user.active:
        row.reasons.append(f"{header}: no active user has the e-mail {email}")
        return None
    return user.id


def user_email(user_id: int | None) -> str | None:
    """How a user reference reads in an import preview or template: the e-mail (the id when
    the user is gone)."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user else str(user_id)
