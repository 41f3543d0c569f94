"""Password hashing (scrypt via werkzeug) and the minimal password policy."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"a password has at least {MIN_LENGTH} characters")
    if password.strip() != password:
        problems.append("a password does not start or end with spaces")
    return problems
