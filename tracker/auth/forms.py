"""Login, account and user-administration forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from tracker.auth.models import ApiToken, Role, User
from tracker.auth.passwords import MIN_PASSWORD_LENGTH
from tracker.core.forms import EditForm, fits, form_choices

EMAIL_LENGTH = fits(User.email)
NAME_LENGTH = fits(User.name)

PASSWORD_LENGTH = Length(
    min=MIN_PASSWORD_LENGTH,
    max=200,
    message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters long (at most 200).",
)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), EMAIL_LENGTH])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class UserForm(EditForm):
    """A new user; its one-time token makes a double post create one user."""

    email = EmailField("E-mail", validators=[DataRequired(), EMAIL_LENGTH])
    name = StringField("Name", validators=[DataRequired(), NAME_LENGTH])
    role = SelectField("Role", choices=form_choices(Role), validators=[DataRequired()])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )


class UserEditForm(FlaskForm):
    """Editing a user. No version field: users carry none (see `tracker.auth.operations`)."""

    name = StringField("Name", validators=[DataRequired(), NAME_LENGTH])
    role = SelectField("Role", choices=form_choices(Role), validators=[DataRequired()])
    active = BooleanField("Active", description="Inactive users cannot sign in.")
    password = PasswordField(
        "New password",
        validators=[Optional(), PASSWORD_LENGTH],
        description="Leave empty to keep the current password. Setting one signs the user out.",
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired(), PASSWORD_LENGTH])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), fits(ApiToken.name)],
        description="What will use it, e.g. “Power BI refresh” or “ERP sync”.",
    )
    read_only = BooleanField(
        "Read-only", description="It can read everything your role can, and change nothing."
    )
    expires_on = DateField(
        "Expires on",
        validators=[Optional()],
        description="The first day it no longer works. Leave empty to keep it until revoked.",
    )
