"""Which passwords are accepted, wherever one is set, and hashes kept at today's parameters."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.conftest import login, post_form
from tests.factories import PASSWORD, make_user
from tracker.auth import operations
from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.extensions import db

COMMON = "Password123"  # in every breach list, whatever the case
COMMON_MESSAGE = "one of the most common"
EMAIL_MESSAGE = "must not be the e-mail address"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (COMMON, COMMON_MESSAGE),
        ("qwertyuiop", COMMON_MESSAGE),
        ("Erik.Larsson@Example.com", EMAIL_MESSAGE),
        ("erik.larsson", EMAIL_MESSAGE),
    ],
)
def test_common_passwords_and_the_email_are_refused_on_create(password, message):
    with pytest.raises(DomainError, match=message) as refused:
        operations.create_user("erik.larsson@example.com", "Erik", "viewer", password, actor=None)
    assert refused.value.field == "password"


def test_an_admin_setting_a_password_meets_the_same_rules():
    user = make_user("viewer", email="ida@example.com")
    old_hash = user.password_hash
    for password in (COMMON, "IDA@example.com"):
        with pytest.raises(DomainError) as refused:
            operations.set_password(user, password, actor=None)
        assert refused.value.field == "password"
    assert user.password_hash == old_hash


def test_the_admin_form_shows_the_reason_and_keeps_what_was_typed(admin_client):
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"email": "nina@example.com", "name": "Nina Berg", "role": "owner", "password": COMMON},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert COMMON_MESSAGE in html
    assert 'value="nina@example.com"' in html and 'value="Nina Berg"' in html
    assert db.session.scalar(select(User).where(User.email == "nina@example.com")) is None


def test_the_password_page_refuses_a_common_password(client):
    user = make_user("owner")
    db.session.commit()
    login(client, user.email)
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": COMMON, "confirm": COMMON},
    )
    assert response.status_code == 200
    assert COMMON_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == user.password_hash


def test_create_user_command_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-user", "--email", "c@example.com", "--name", "C", "--role", "viewer"]
        + ["--password", COMMON]
    )
    assert result.exit_code == 1
    assert COMMON_MESSAGE in result.output
    assert db.session.scalar(select(User).where(User.email == "c@example.com")) is None


def test_sign_in_rehashes_a_password_hashed_with_other_parameters(app, client):
    user = make_user("viewer")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2).hash(PASSWORD)
    user.password_hash = old
    db.session.commit()

    assert login(client, user.email).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored != old
    wanted = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"]
    )
    assert not wanted.check_needs_rehash(stored)
    assert wanted.verify(stored, PASSWORD)


def test_sign_in_keeps_a_current_hash(client):
    user = make_user("viewer")
    db.session.commit()
    assert login(client, user.email).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == user.password_hash
