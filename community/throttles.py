"""Brute-force limits on the ways into an account: logging in (``/login``,
the admin's ``/admin/login/`` and ``POST /api/v1/auth/token``) and signing
up (``/signup`` and ``POST /api/v1/auth/register``), and the forms that
send mail (a password reset, a new verification link).

One rule, the API's ``auth`` rate (``SPROUT_THROTTLE_AUTH``, 30/min), read
the way DRF reads it: within one window, at most that many failed log-ins
per account and per client address, and that many sign-ups per address.
Failures count whichever door they knock on: ``user_login_failed`` fires for
every failed ``authenticate()``, and :func:`login_failed` is connected to it
(``CommunityConfig.ready``). A locked account or address is refused before
its password is checked, so the right password does not get in either
until the window is over.

Each counter lives in the cache (Redis in production: shared by every
process, and ``incr`` is atomic there, so parallel guesses cannot slip
between a read and a write) for one window that its first attempt opens.
The client address is the one the API's own throttles use (DRF's
``NUM_PROXIES``, from ``SPROUT_NUM_PROXIES``), so it is the real client
behind nginx and cannot be picked by a forged header.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from community.errors import TooManyAttempts

SCOPE = "auth"

LOGIN_ACCOUNT = "login-account"
LOGIN_ADDRESS = "login-address"
SIGNUP_ADDRESS = "signup-address"
MAIL_ADDRESS = "mail-address"


class _AuthScope(SimpleRateThrottle):
    scope = SCOPE

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope)


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


def auth_rate() -> Rate | None:
    """The API's ``auth`` scope (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``,
    parsed by DRF): attempts per window, or None for no limit."""
    scope = _AuthScope()
    limit, seconds = scope.parse_rate(scope.rate)
    return None if limit is None or seconds is None else Rate(limit, seconds)


def client_address(request: HttpRequest | Any) -> str:
    """The client's address as the API's throttles see it."""
    return str(BaseThrottle().get_ident(cast(Any, request)) or "")


def _key(kind: str, ident: str) -> str:
    # Hashed: usernames and forwarded addresses are client input.
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"attempts:{kind}:{digest}"


def _since(key: str) -> str:
    return f"{key}:since"


def _account(username: str) -> str:
    # Usernames are unique case-insensitively (community.User).
    return username.strip().lower()


def _hit(key: str, duration: int) -> int:
    """Count one attempt in the window that the first one opened (it lasts
    ``duration`` seconds); the attempts in it so far."""
    for _ in range(2):
        if cache.add(key, 1, timeout=duration):
            cache.set(_since(key), time.time(), timeout=duration)
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # the window closed between add and incr
            continue
    return 1


def _retry_after(since: float | None, duration: int) -> int:
    """Seconds until the window opened at ``since`` closes."""
    if since is None:
        return duration
    return max(1, math.ceil(float(since) + duration - time.time()))


def _refuse_when_spent(keys: list[str], rate: Rate) -> None:
    """TooManyAttempts when any of the windows ``keys`` has no attempts
    left, with the longest wait among them."""
    found = cache.get_many([*keys, *map(_since, keys)])
    waits = [
        _retry_after(found.get(_since(key)), rate.seconds)
        for key in keys
        if int(found.get(key) or 0) >= rate.limit
    ]
    if waits:
        raise TooManyAttempts(max(waits))


def check_login(request: HttpRequest, username: str) -> None:
    """Refuse a log-in before its password is checked when the account or
    the client's address has used up its failures (TooManyAttempts, with
    the seconds until its window closes)."""
    rate = auth_rate()
    if rate is None:
        return
    keys = [_key(LOGIN_ADDRESS, client_address(request))]
    if username.strip():
        keys.append(_key(LOGIN_ACCOUNT, _account(username)))
    _refuse_when_spent(keys, rate)


def login_failed(
    sender: Any = None,
    credentials: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """``user_login_failed``: count the failure against the account named
    and the client's address."""
    rate = auth_rate()
    if rate is None:
        return
    username = str((credentials or {}).get("username") or "")
    if username.strip():
        _hit(_key(LOGIN_ACCOUNT, _account(username)), rate.seconds)
    if request is not None:
        _hit(_key(LOGIN_ADDRESS, client_address(request)), rate.seconds)


def check_signup(request: HttpRequest | Any) -> None:
    """Count a sign-up attempt from the client's address; TooManyAttempts
    once the address has used up its window."""
    rate = auth_rate()
    if rate is None:
        return
    key = _key(SIGNUP_ADDRESS, client_address(request))
    if _hit(key, rate.seconds) > rate.limit:
        raise TooManyAttempts(_retry_after(cache.get(_since(key)), rate.seconds))


def check_mail_request(request: HttpRequest | Any) -> None:
    """Count a request that sends mail (a password reset, a new verification
    link) from the client's address; TooManyAttempts once the address has
    used up the ``auth`` window. Mail costs money and reputation, and an
    unlimited form would mail-bomb whoever's address is typed in."""
    rate = auth_rate()
    if rate is None:
        return
    key = _key(MAIL_ADDRESS, client_address(request))
    if _hit(key, rate.seconds) > rate.limit:
        raise TooManyAttempts(_retry_after(cache.get(_since(key)), rate.seconds))


class SignupThrottle(BaseThrottle):
    """``POST /api/v1/auth/register``: the count ``/signup`` keeps, so both
    doors share one allowance per address."""

    retry_after: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST":
            return True
        try:
            check_signup(request)
        except TooManyAttempts as exc:
            self.retry_after = exc.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after
