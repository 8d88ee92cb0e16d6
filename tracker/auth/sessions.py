"""How long a sign-in lasts. A session starts afresh at sign-in and ends after
`SESSION_IDLE_TIMEOUT` minutes without a request, or `SESSION_LIFETIME` minutes after
sign-in whatever the activity; signing out, a password change or deactivation end it at once
(the user's session token, `tracker.auth.models.User.end_sessions`).

The times live in the signed session cookie, so a copy of an old cookie carries its old times
and expires with them.
"""

import time

from flask import current_app, flash, g, redirect, request, session
from flask_login import login_url, login_user, logout_user

from tracker.auth.models import User
from tracker.extensions import login_manager

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Seen times are written at most this often (seconds), so a page's many requests do not each
# rewrite the cookie.
SEEN_PRECISION = 60


def start_session(user: User) -> None:
    """Sign `user` in on a new session: nothing the browser held before signing in survives,
    the CSRF token among it, so a token planted or read before sign-in is worthless after."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's copy for this request
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())


def _hours(minutes: int) -> str:
    if minutes % 60:
        return f"{minutes} minutes"
    return "1 hour" if minutes == 60 else f"{minutes // 60} hours"


def _expiry_message() -> str | None:
    """Why the signed-in session of this request is over, or None while it is current."""
    config = current_app.config
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return "Your session has expired. Please sign in again."
    now = time.time()
    idle, lifetime = config["SESSION_IDLE_TIMEOUT"], config["SESSION_LIFETIME"]
    if now - seen_at > idle * 60:
        return f"You were signed out after {_hours(idle)} without activity. Please sign in again."
    if now - signed_in_at > lifetime * 60:
        return f"You were signed out {_hours(lifetime)} after signing in. Please sign in again."
    return None


def end_expired_session():
    """Before each request: sign out a session idle or old beyond its limits, saying why. A
    page that needs a sign-in sends the browser to the login page, back here afterwards."""
    if "_user_id" not in session or request.endpoint == "static":
        return None
    message = _expiry_message()
    if message is None:
        now = int(time.time())
        if now - session[SEEN_AT] >= SEEN_PRECISION:
            session[SEEN_AT] = now
        return None
    logout_user()
    session.pop(SIGNED_IN_AT, None)
    session.pop(SEEN_AT, None)
    flash(message, "info")
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "required_permission", None) is None:
        return None  # a public page (the login page itself) carries on, signed out
    next_url = request.url if request.method == "GET" else None
    return redirect(login_url(login_manager.login_view, next_url))
