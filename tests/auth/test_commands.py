"""`flask create-user`: validation and one-line errors, nothing written on failure."""

from sqlalchemy import func, select

from tracker.auth.models import User
from tracker.extensions import db


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_create_user_with_password_option(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Ana@Example.com",
            "--name",
            "Ana Petrova",
            "--role",
            "manager",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created manager ana@example.com." in result.output
    user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
    assert user.name == "Ana Petrova" and user.password_hash.startswith("$argon2id$")


def test_create_user_prompts_for_password(runner):
    result = runner.invoke(
        args=["create-user", "--email", "p@example.com", "--name", "P", "--role", "viewer"],
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert _user_count() == 1


def _fails_with(runner, args, reason):
    result = runner.invoke(args=["create-user", *args])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0], result.output


def test_bad_email_unknown_role_duplicate_and_short_password_write_nothing(runner):
    base = ["--name", "N", "--password", "long-enough-pw"]
    _fails_with(runner, ["--email", "not-an-email", "--role", "viewer", *base], "Invalid e-mail")
    _fails_with(runner, ["--email", "a@example.com", "--role", "boss", *base], "Unknown role")
    assert _user_count() == 0

    ok = runner.invoke(args=["create-user", "--email", "a@example.com", "--role", "viewer", *base])
    assert ok.exit_code == 0
    _fails_with(runner, ["--email", "A@example.com", "--role", "viewer", *base], "already exists")
    _fails_with(
        runner,
        ["--email", "b@example.com", "--role", "viewer", "--name", "B", "--password", "short"],
        "at least 10",
    )
    assert _user_count() == 1
