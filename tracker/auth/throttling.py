"""How sign-in and password checks are throttled: whose budget an attempt spends, and which
attempts spend it. The key functions live here only, so a shared store or addresses seen
through a proxy change this module and nothing else.

Two budgets guard `/login`: one per client address (every attempt counts), so one address
cannot try many accounts, and one per account (only wrong passwords count), so one account
cannot be tried from many addresses. The account is keyed by the e-mail as typed, normalised,
whether or not such a user exists, so the limit reveals nothing about who has an account.
The current-password check on `/account/password` has a budget per signed-in user.
"""

import hashlib

from flask import current_app, g, request
from flask.typing import RouteCallable
from flask_limiter.util import get_remote_address
from flask_login import current_user

from tracker.auth.services import normalise_email
from tracker.core.errors import DomainError
from tracker.extensions import limiter


def client_address() -> str:
    """The address an attempt comes from."""
    return get_remote_address()


def account_key() -> str:
    """The account a sign-in attempt names, hashed: keys never carry what was typed."""
    email = (request.form.get("email") or "").strip()
    try:
        email = normalise_email(email[:500])
    except DomainError:
        email = email.lower()
    return "account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def signed_in_user_key() -> str:
    """The signed-in user (one shared key for nobody: the view refuses them unchecked)."""
    if not current_user.is_authenticated:
        return "user:anonymous"
    return f"user:{current_user.id}"


def mark_wrong_password() -> None:
    """Record that this request checked a password and it was wrong: it spends the budget."""
    g.wrong_password = True


def _was_wrong_password(response) -> bool:
    del response  # the view says, not the status code: a refused form is not a guess
    return g.get("wrong_password", False)


def _setting(name: str):
    return lambda: current_app.config[name]


def throttle_sign_in(view: RouteCallable) -> RouteCallable:
    """Guard the sign-in view with the per-address and the per-account budget."""
    view = limiter.limit(
        _setting("LOGIN_ACCOUNT_RATE_LIMIT"),
        key_func=account_key,
        methods=["POST"],
        deduct_when=_was_wrong_password,
    )(view)
    return limiter.limit(_setting("LOGIN_RATE_LIMIT"), key_func=client_address, methods=["POST"])(
        view
    )


def throttle_password_check(view: RouteCallable) -> RouteCallable:
    """Guard a view that checks the signed-in user's current password."""
    return limiter.limit(
        _setting("PASSWORD_CHECK_RATE_LIMIT"),
        key_func=signed_in_user_key,
        methods=["POST"],
        deduct_when=_was_wrong_password,
    )(view)
