"""Signing in and out, the own-account page, and user administration."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from tracker.auth import services
from tracker.auth.forms import ChangePasswordForm, LoginForm, UserEditForm, UserForm
from tracker.auth.models import User
from tracker.auth.passwords import verify_password
from tracker.auth.permissions import MANAGE_USERS, READ, requires
from tracker.core import audit
from tracker.core.errors import DomainError
from tracker.core.forms import ConfirmForm, apply_domain_error
from tracker.core.urls import safe_next
from tracker.extensions import db, limiter
from tracker.reports.lists import export_list

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Invalid e-mail or password."


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(LOGIN_FAILED)
        else:
            db.session.commit()
            login_user(user)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@requires(READ)
def logout():
    if ConfirmForm().validate_on_submit():
        # Rotating the token makes every copy of the old cookie worthless.
        current_user.end_sessions()
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(READ)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            try:
                services.set_password(current_user, form.password.data)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                audit.record("update", current_user, "Changed own password")
                db.session.commit()
                # Other sessions end with the old token; this browser signs in anew.
                login_user(current_user._get_current_object())
                flash("Password changed. Other sessions have been signed out.", "success")
                return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


@bp.get("/admin/users")
@requires(MANAGE_USERS)
def users():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    if request.args.get("format"):
        return export_list("users", users)
    return render_template("admin/users.html", users=users)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.name.data, form.role.data, form.password.data
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            audit.record("create", user, f"Created user {user.email} ({user.role})")
            db.session.commit()
            flash(f"User {user.email} created.", "success")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        editing_self = user.id == current_user.id
        if editing_self and (not form.active.data or form.role.data != user.role):
            form.form_errors.append(
                "You cannot deactivate yourself or change your own role: "
                "ask another admin, so the installation always keeps one."
            )
        else:
            before = audit.snapshot(user, ["name", "role", "active"])
            user.name = form.name.data.strip()
            user.role = form.role.data
            if user.active != form.active.data:
                services.set_active(user, form.active.data)
            changes = audit.diff(before, audit.snapshot(user, ["name", "role", "active"]))
            try:
                if form.password.data:
                    services.set_password(user, form.password.data)
                    changes["password"] = ["…", "changed"]
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                audit.record("update", user, f"Updated user {user.email}", changes)
                db.session.commit()
                if editing_self:
                    login_user(user)  # keep this browser signed in under the new token
                flash(f"User {user.email} updated.", "success")
                return redirect(url_for("auth.users"))
        db.session.rollback()
    return render_template("admin/user_form.html", form=form, user=user)
