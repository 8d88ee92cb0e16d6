"""Signing in and out, the own-account page, and user administration."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from tracker.auth import operations, services
from tracker.auth.exports import USERS, users_query
from tracker.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    LoginForm,
    UserEditForm,
    UserForm,
)
from tracker.auth.models import ApiToken, User
from tracker.auth.permissions import MANAGE_USERS, READ, requires
from tracker.auth.sessions import end_expired_session, start_session
from tracker.auth.throttling import mark_wrong_password, throttle_password_check, throttle_sign_in
from tracker.core.errors import DomainError
from tracker.core.forms import (
    ConfirmForm,
    apply_domain_error,
    confirm_then,
    form_values,
    save_once,
)
from tracker.core.tables import export_list
from tracker.core.urls import safe_next
from tracker.extensions import db

bp = Blueprint("auth", __name__)
bp.before_app_request(end_expired_session)

LOGIN_FAILED = "Invalid e-mail or password."
USER_EDIT_FIELDS = ["name", "role", "active"]


@bp.route("/login", methods=["GET", "POST"])
@throttle_sign_in
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            mark_wrong_password()
            form.form_errors.append(LOGIN_FAILED)
        else:
            db.session.commit()
            start_session(user)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@requires(READ)
def logout():
    if ConfirmForm().validate_on_submit():
        # Rotating the token makes every copy of the old cookie worthless.
        me = current_user._get_current_object()
        operations.end_sessions(me, actor=me)
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(READ)
@throttle_password_check
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            operations.change_own_password(me, form.current_password.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            if error.field == "current_password":
                mark_wrong_password()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            # Other sessions end with the old token; this browser signs in anew.
            login_user(me)
            flash("Password changed. Other sessions have been signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


@bp.get("/admin/users")
@requires(MANAGE_USERS)
def users():
    query = users_query()
    if request.args.get("format"):
        return export_list(USERS, query)
    return render_template("admin/users.html", users=db.session.scalars(query).all())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            user, fresh = save_once(
                form.form_token.data,
                User,
                lambda: operations.create_user(
                    form.email.data, form.name.data, form.role.data, form.password.data, actor=me
                ),
                user=me,
            )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            if fresh:
                flash(f"User {user.email} created.", "success")
            else:
                flash(f"This form was already sent: user {user.email} exists.", "info")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            operations.update_user(user, form_values(form, USER_EDIT_FIELDS), actor=me)
            if form.password.data:
                operations.set_password(user, form.password.data, actor=me)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if user.id == me.id and form.password.data:
                login_user(user)  # keep this browser signed in under the new token
            flash(f"User {user.email} updated.", "success")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=user)


# --- Personal API tokens ---------------------------------------------------------------------


@bp.route("/account/tokens/new", methods=["GET", "POST"])
@requires(READ)
def new_token():
    """Make an API token; its secret is shown on the answer to the post, once, never again."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            token, secret = operations.create_token(
                me,
                form.name.data,
                read_only=form.read_only.data,
                expires_on=form.expires_on.data,
                actor=me,
            )
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            response = make_response(
                render_template("auth/token_created.html", token=token, secret=secret), 201
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("auth/token_form.html", form=form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires(READ)
def revoke_token(token_id: int):
    """Revoke one of your own tokens (another user's is no token of yours: 404)."""
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    me = current_user._get_current_object()
    return confirm_then(
        lambda: operations.revoke_token(token, actor=me),
        done=f"API token “{token.name}” revoked: it no longer works.",
        cancel_url=url_for("monitoring.account"),
        title=f"Revoke the API token “{token.name}”?",
        consequences=[
            "Whatever uses it is refused from the next request on. This cannot be undone: "
            "make a new token to give access again."
        ],
        submit="Revoke the token",
    )
