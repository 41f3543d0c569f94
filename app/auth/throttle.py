"""Sign-in limits: password attempts per account and per client address.

Every password check counts (the login form, and the current password on the password
change form) whether it turns out right or wrong: the count is taken before the check,
atomically in the storage, so concurrent guesses cannot slip past it. A refused attempt
checks no password and does not count. The account is the SHA-256 of the normalized
e-mail, known or not, so a limit behaves the same for e-mails that exist and those that
do not. Storage is `limits`' (memory per app by default; Redis shared by every process in
production). docs/security.md, "Sign-in".

What-if estimates (`limit_what_if`): each runs the engine twice over the rep's data and
saves nothing, so a script could loop on them and hold a web worker; they are counted per
user in the same storage, and past the limit answered 429 with `Retry-After` (the API's
envelope, or the error page). docs/security.md, "What-if estimates".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage, strategies
from werkzeug.exceptions import TooManyRequests

from governance.sign_in import email_digest

EXTENSION = "accord.signin_throttle"
WHAT_IF = "accord.what_if_throttle"
REPORT_EVERY = parse("1 per minute")


@dataclass(frozen=True)
class Refusal:
    """Which limit refused the attempt (`account` or `address`) and for how long."""

    limit: str
    retry_after: int  # seconds, at least 1
    report: bool  # the first refusal of this limit and key in a minute: audit it


class SignInThrottle:
    def __init__(self, storage_uri: str, per_account: str, per_address: str):
        self.storage = storage.storage_from_string(storage_uri)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.limits: dict[str, RateLimitItem] = {
            "account": _parse(per_account, "SIGNIN_LIMIT_PER_ACCOUNT"),
            "address": _parse(per_address, "SIGNIN_LIMIT_PER_ADDRESS"),
        }

    def attempt(self, email: str, address: str | None) -> Refusal | None:
        """Count one password attempt; None when it may go on, else the refusal."""
        keys = {"account": email_digest(email), "address": address or "unknown"}
        # Test both before counting either, so that an attempt one limit refuses does not
        # use up the other's allowance; `hit` re-checks atomically.
        for name, item in self.limits.items():
            if not self.limiter.test(item, "accord-signin", name, keys[name]):
                return self._refusal(name, keys[name])
        for name, item in self.limits.items():
            if not self.limiter.hit(item, "accord-signin", name, keys[name]):
                return self._refusal(name, keys[name])
        return None

    def _refusal(self, name: str, key: str) -> Refusal:
        wait = _seconds_left(self.limiter, self.limits[name], "accord-signin", name, key)
        report = self.limiter.hit(REPORT_EVERY, "accord-signin-reported", name, key)
        return Refusal(name, wait, report)

    def reset(self) -> None:
        """Forget every count (tests, or an operator lifting a lockout)."""
        self.storage.reset()


def _parse(text: str, name: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise RuntimeError(f"{name}={text!r}: expected e.g. '10 per 15 minutes'") from None


class WhatIfThrottle:
    """What-if estimates per user, in a moving window."""

    def __init__(self, storage_uri: str, per_user: str):
        self.storage = storage.storage_from_string(storage_uri)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.limit = _parse(per_user, "ESTIMATE_LIMIT_PER_USER")

    def attempt(self, user_id: int) -> int | None:
        """Count one estimate; None when it may run, else the seconds until one may."""
        key = str(user_id)
        if self.limiter.hit(self.limit, "accord-what-if", key):
            return None
        return _seconds_left(self.limiter, self.limit, "accord-what-if", key)

    def reset(self) -> None:
        """Forget every count (tests)."""
        self.storage.reset()


def _seconds_left(limiter, item: RateLimitItem, *identifiers: str) -> int:
    """Seconds until the moving window of `item` has room again (at least 1)."""
    stats = limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


def try_again_in(seconds: int) -> str:
    """ "Try again in N minute(s).": a refusal's wait, rounded up to whole minutes."""
    minutes = -(-seconds // 60)
    return f"Try again in {minutes} minute{'s' if minutes > 1 else ''}."


def limit_what_if(user_id: int) -> None:
    """Count one what-if estimate of `user_id`; past the limit, 429 with `Retry-After`."""
    retry_after = current_app.extensions[WHAT_IF].attempt(user_id)
    if retry_after is not None:
        raise TooManyRequests(
            f"Too many estimates. {try_again_in(retry_after)}", retry_after=retry_after
        )


def throttle() -> SignInThrottle:
    return current_app.extensions[EXTENSION]


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory://") and app.config.get("ENV_NAME") == "production":
        app.logger.warning(
            "sign-in limits are counted per process (memory://): set "
            "ACCORD_RATELIMIT_STORAGE_URI to a Redis URL shared by every process"
        )
    app.extensions[EXTENSION] = SignInThrottle(
        uri, app.config["SIGNIN_LIMIT_PER_ACCOUNT"], app.config["SIGNIN_LIMIT_PER_ADDRESS"]
    )
    app.extensions[WHAT_IF] = WhatIfThrottle(uri, app.config["ESTIMATE_LIMIT_PER_USER"])
