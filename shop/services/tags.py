"""Products on notes: the note's author tags their own products, or any
product open to affiliates, up to ``rules.NOTE_PRODUCTS_MAX`` a note; the
note shows them as product cards (``shop.selectors.note_product_cards``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max

from community import card_cache
from community.models import Note, User
from shop import rules
from shop.errors import NotOpenToAffiliates, NotYourNote, ProductUnavailable, TooManyProducts
from shop.models import NoteProduct, Product, ProductImage, Shop


def product_offer_check(*, creator: User, product: Product) -> None:
    """The one rule of what a creator may show (tag on a note, pin in their
    room): a listed product (not hidden, its shop open), of their own shop or
    open to affiliates. ``creator`` is the note's author or the room's host."""
    if product.is_hidden or not product.shop.is_open:
        raise ProductUnavailable(
            "This product is hidden or its shop is closed: it cannot be shown."
        )
    if product.shop.owner_id != creator.pk and not product.open_to_affiliates:
        raise NotOpenToAffiliates()


def note_product_tag(*, actor: User, note: Note, product: Product) -> tuple[NoteProduct, bool]:
    """Tag ``product`` on ``actor``'s own ``note``, after its other tags.
    Idempotent: tagging it again answers the existing tag (and False)."""
    if note.author_id != actor.pk:
        raise NotYourNote()
    product_offer_check(creator=actor, product=product)
    with transaction.atomic():
        # The note's row serialises concurrent tags, so the limit holds.
        Note.objects.select_for_update().filter(pk=note.pk).first()
        existing = NoteProduct.objects.filter(note=note, product=product).first()
        if existing is not None:
            return existing, False
        tags = NoteProduct.objects.filter(note=note)
        if tags.count() >= rules.NOTE_PRODUCTS_MAX:
            raise TooManyProducts()
        last = tags.aggregate(last=Max("position"))["last"]
        tag = NoteProduct.objects.create(
            note=note, product=product, position=0 if last is None else last + 1
        )
    return tag, True


def note_product_untag(*, actor: User, note: Note, product_id: int) -> bool:
    """Take a product off ``actor``'s own note (idempotent: False when it
    was not tagged)."""
    if note.author_id != actor.pk:
        raise NotYourNote()
    deleted, _ = NoteProduct.objects.filter(note=note, product_id=product_id).delete()
    return bool(deleted)


# --- the note cards that show products ------------------------------------------------
# A note's card carries its products (``community.card_cache`` caches it with
# them): what changes how a product looks on a card forgets those cards.


def product_cards_forget(product_ids: Iterable[int]) -> None:
    """The notes tagging these products show them changed (title, price,
    first image, hidden or shown)."""
    ids = list(product_ids)
    if ids:
        card_cache.note_cards_forget(
            NoteProduct.objects.filter(product_id__in=ids).values_list("note_id", flat=True)
        )


def shop_cards_forget(shop_id: int) -> None:
    """The notes tagging this shop's products (it closed or reopened)."""
    card_cache.note_cards_forget(
        NoteProduct.objects.filter(product__shop_id=shop_id).values_list("note_id", flat=True)
    )


# Signal receivers (connected in ``shop.apps``): saves and deletes through the
# models, the admin's included.


def product_saved(sender: Any, instance: Product, **kwargs: Any) -> None:
    product_cards_forget([instance.pk])


def product_image_saved(sender: Any, instance: ProductImage, **kwargs: Any) -> None:
    product_cards_forget([instance.product_id])


def note_product_saved(sender: Any, instance: NoteProduct, **kwargs: Any) -> None:
    card_cache.note_cards_forget([instance.note_id])


def shop_saved(sender: Any, instance: Shop, **kwargs: Any) -> None:
    shop_cards_forget(instance.pk)
