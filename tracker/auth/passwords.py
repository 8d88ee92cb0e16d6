"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106), and which passwords
are too easy to guess to be accepted."""

from functools import cache

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


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the ones configured now (a cost
    raised since, or an older argon2 variant): sign-in then stores a fresh hash."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# Compared against when the e-mail is unknown, so a wrong e-mail costs the same
# time as a wrong password and timing does not reveal which accounts exist.
_dummy_hashes: dict[tuple[int, int], str] = {}


def burn_verification(password: str) -> None:
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("not-a-real-password")
    verify_password(_dummy_hashes[key], password)


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most frequent passwords of public breach corpora, lower case, as ranked by
    zxcvbn (loaded on first use: a few megabytes)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """True for one of the commonest passwords, whatever its letter case."""
    return password.lower() in _common_passwords()
