"""Payment providers, configured by settings.

``SPROUT_WALLET_PAYMENT_PROVIDER`` (a dotted path to a
:class:`~wallet.providers.base.PaymentProvider` subclass) takes new
recharges; ``SPROUT_WALLET_PAYMENT_PROVIDERS`` lists further providers whose
callbacks are still accepted (say, the previous one while switching). A real
provider plugs in by subclassing ``PaymentProvider`` and naming it there.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from wallet.errors import UnknownProvider
from wallet.providers.base import (
    CallbackEvent,
    ChargeResult,
    PaymentProvider,
    SignedCallback,
)

__all__ = [
    "CallbackEvent",
    "ChargeResult",
    "PaymentProvider",
    "SignedCallback",
    "configured_providers",
    "default_provider",
    "get_provider",
]


@cache
def _load(path: str) -> PaymentProvider:
    provider_class = import_string(path)
    if not (isinstance(provider_class, type) and issubclass(provider_class, PaymentProvider)):
        raise ImproperlyConfigured(f"{path} is not a PaymentProvider")
    provider = provider_class()
    if not provider.name:
        raise ImproperlyConfigured(f"{path} has no name")
    return provider


def default_provider() -> PaymentProvider:
    """The provider that takes new recharges."""
    return _load(settings.SPROUT_WALLET_PAYMENT_PROVIDER)


def configured_providers() -> dict[str, PaymentProvider]:
    """Every provider whose callbacks are accepted, by name."""
    paths = [
        settings.SPROUT_WALLET_PAYMENT_PROVIDER,
        *getattr(settings, "SPROUT_WALLET_PAYMENT_PROVIDERS", []),
    ]
    providers: dict[str, PaymentProvider] = {}
    for path in paths:
        provider = _load(path)
        providers.setdefault(provider.name, provider)
    return providers


def get_provider(name: str) -> PaymentProvider:
    """The configured provider called ``name``; UnknownProvider otherwise."""
    provider = configured_providers().get(name)
    if provider is None:
        raise UnknownProvider()
    return provider
