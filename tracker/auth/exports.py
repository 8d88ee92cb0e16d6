"""The users list as a spreadsheet (/admin/users?format=csv|xlsx and `flask export users`)."""

from sqlalchemy import select

from tracker.auth.models import User
from tracker.core.tables import Column, ExportList, as_date, entities, yes_no

USER_COLUMNS = [
    Column("Name", lambda u: u.name),
    Column("E-mail", lambda u: u.email),
    Column("Role", lambda u: u.role_label),
    Column("Active", lambda u: yes_no(u.active)),
    Column("Last sign-in (UTC)", lambda u: u.last_login_at, "datetime"),
    Column("Created", lambda u: as_date(u.created_at), "date"),
]


def users_query():
    """Every user, active first, by name: the page's order."""
    return select(User).order_by(User.active.desc(), User.name)


USERS = ExportList("users", "Users", USER_COLUMNS, entities, users_query)
