"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 10


def _hasher() -> PasswordHasher:
    config = current_app.config
    # Tests lower the cost to stay fast; production keeps the library defaults.
    kwargs = {
        key: config[name]
        for key, name in (("time_cost", "ARGON2_TIME_COST"), ("memory_cost", "ARGON2_MEMORY_COST"))
        if name in config
    }
    return PasswordHasher(**kwargs)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Compared against when the e-mail is unknown, so a wrong e-mail costs the same
# time as a wrong password and timing does not reveal which accounts exist.
_dummy_hashes: dict[tuple[int, int], str] = {}


def burn_verification(password: str) -> None:
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("not-a-real-password")
    verify_password(_dummy_hashes[key], password)
