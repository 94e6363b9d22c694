"""Moderators' writes: hiding and restoring products, closing and
reopening shops (``shop.moderate_shop``), each with who and why."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community.models import User
from shop import rules
from shop.errors import PermissionDenied, ValidationFailed
from shop.models import Product, Shop
from shop.selectors.access import is_shop_moderator
from shop.services.pins import product_pins_retire, shop_pins_retire
from shop.services.tags import product_cards_forget, shop_cards_forget


def _check_moderator(user: User) -> None:
    if not is_shop_moderator(user):
        raise PermissionDenied("Only moderators hide products and close shops.")


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > rules.REASON_MAX_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"Give a reason of 1 to {rules.REASON_MAX_LENGTH} characters."]}
        )
    return reason


def product_hide(*, moderator: User, product: Product, reason: str) -> bool:
    """Hide a product from everyone but its seller and moderators, and unpin
    it from live rooms. Returns whether it changed (False when a moderator
    hid it already). A product its seller took off sale is taken over: the
    seller cannot show it again."""
    _check_moderator(moderator)
    reason = _reason(reason)
    owner_id = Shop.objects.filter(pk=product.shop_id).values_list("owner_id", flat=True).first()
    with transaction.atomic():
        changed = Product.objects.filter(
            Q(is_hidden=False) | Q(hidden_by_id=owner_id), pk=product.pk
        ).update(
            is_hidden=True, hidden_by=moderator, hidden_reason=reason, updated_at=timezone.now()
        )
        # Off every live room at once (a seller's own hiding unpinned it already).
        product_pins_retire(product_ids=[product.pk])
    if changed:
        product_cards_forget([product.pk])
        product.is_hidden, product.hidden_by, product.hidden_reason = True, moderator, reason
    return bool(changed)


def product_restore(*, moderator: User, product: Product) -> bool:
    _check_moderator(moderator)
    with transaction.atomic():
        changed = Product.objects.filter(pk=product.pk, is_hidden=True).update(
            is_hidden=False, hidden_by=None, hidden_reason="", updated_at=timezone.now()
        )
    if changed:
        product_cards_forget([product.pk])
        product.is_hidden, product.hidden_by, product.hidden_reason = False, None, ""
    return bool(changed)


def shop_close(*, moderator: User, shop: Shop, reason: str) -> bool:
    """Close a shop: its products leave every list and page but its owner's
    and moderators' (and every live room they are pinned in), and it lists
    or changes nothing until reopened."""
    _check_moderator(moderator)
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        changed = Shop.objects.filter(pk=shop.pk, is_open=True).update(
            is_open=False, closed_by=moderator, closed_at=now, close_reason=reason
        )
        if changed:
            shop_pins_retire(shop_id=shop.pk)
    if changed:
        shop_cards_forget(shop.pk)
        shop.is_open, shop.closed_by, shop.closed_at, shop.close_reason = (
            False,
            moderator,
            now,
            reason,
        )
    return bool(changed)


def shop_reopen(*, moderator: User, shop: Shop) -> bool:
    _check_moderator(moderator)
    with transaction.atomic():
        changed = Shop.objects.filter(pk=shop.pk, is_open=False).update(
            is_open=True, closed_by=None, closed_at=None, close_reason=""
        )
    if changed:
        shop_cards_forget(shop.pk)
        shop.is_open, shop.closed_by, shop.closed_at, shop.close_reason = True, None, None, ""
    return bool(changed)
