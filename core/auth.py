"""API token authentication with the token's member kept in the shared cache.

DRF's ``TokenAuthentication`` reads the token and its user from the database
on every request: an ORM query that costs more Python to build than the
database takes to answer, paid by every call of every client (the feeds,
the gifts). Here a token seen once is remembered in the cache (Redis in
production) under a hash of its key, with its user's column values; the
user is rebuilt from them each time (a clean instance: nothing a request
memoised on it, such as permission caches, is kept).

What must take effect at once does: deleting or replacing a token (logging
out), and any save or delete of its user (deactivation, a password or
permission change through the model) forget the entry, through model
signals connected in ``core.apps``; entries also expire after
:data:`CACHE_SECONDS`. A ``User.objects.update(...)`` that bypasses the
model must call :func:`token_users_forget` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.cache import forget_after_change

CACHE_SECONDS = 300
VERSION = 1


def _key(token_key: str) -> str:
    digest = hashlib.sha256(token_key.encode()).hexdigest()
    return f"core:token-user:v{VERSION}:{digest}"


def _fields() -> list[str]:
    # Not the password hash: no secret is copied into the cache (the token's
    # key is not either: the entry is found by its hash). A request that
    # needs the hash loads it (a deferred field).
    return [
        field.attname
        for field in get_user_model()._meta.concrete_fields
        if field.attname != "password"
    ]


class CachedTokenAuthentication(TokenAuthentication):
    """``TokenAuthentication`` (the same header, answers and errors) reading
    the token's user from the cache after its first request."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        entry = cache.get(_key(key))
        if entry is None:
            user, token = super().authenticate_credentials(key)
            cache.set(_key(key), [getattr(user, f) for f in _fields()], CACHE_SECONDS)
            return user, token
        user = get_user_model().from_db("default", _fields(), entry)
        if not user.is_active:  # forgotten on save; belt and braces
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user_id=user.pk)
        token._state.adding, token._state.db = False, "default"
        return user, token


def token_users_forget(user_ids: Iterable[int]) -> None:
    """The cached users of these members' tokens are stale."""
    keys = [
        _key(key)
        for key in Token.objects.filter(user_id__in=list(user_ids)).values_list("key", flat=True)
    ]
    forget_after_change(keys)


# Signal receivers (connected by :func:`connect`, from ``core.apps``).


def token_saved(sender: Any, instance: Token, **kwargs: Any) -> None:
    forget_after_change([_key(instance.key)])


def user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    token_users_forget([instance.pk])


def connect() -> None:
    """Forget a cached token's user when the token or its user is saved or
    deleted (``core.apps`` calls this where tokens are installed; without a
    user model nothing is connected)."""
    try:
        user_model = get_user_model()
    except ImproperlyConfigured:
        return
    for model, forget in ((Token, token_saved), (user_model, user_saved)):
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"core-token-{model.__name__}")
