"""Reads of the products tagged on notes (their cards) and of the products a
member may tag or pin (theirs, and those open to affiliates). A page of
notes costs the same queries whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from community.models import Note, User
from shop.models import NoteProduct, Product
from shop.selectors.cards import product_card

OFFERABLE_PAGE = 20


type Card = dict[str, Any]


def note_product_cards(notes: Sequence[Note], request: Any = None) -> dict[int, list[Card]]:
    """``{note id: [product card]}`` for a page of notes, in each note's tag
    order, leaving out hidden products and closed shops' (two queries: the
    tags with their products, then the products' images)."""
    ids = [note.pk for note in notes]
    if not ids:
        return {}
    tags = (
        NoteProduct.objects.filter(
            note_id__in=ids, product__is_hidden=False, product__shop__is_open=True
        )
        .select_related("product")
        .prefetch_related("product__images")
        .order_by("note_id", "position", "id")
    )
    cards: dict[int, list[Card]] = defaultdict(list)
    for tag in tags:
        cards[tag.note_id].append(product_card(tag.product, request=request))
    return dict(cards)


def note_products(note: Note) -> list[Product]:
    """The products shown on a note's page, in tag order, each with its shop
    and images."""
    return list(
        Product.objects.filter(note_tags__note=note, is_hidden=False, shop__is_open=True)
        .select_related("shop__owner")
        .prefetch_related("images")
        .order_by("note_tags__position", "note_tags__id")
    )


def note_product_ids(note: Note) -> list[int]:
    """Every product tagged on the note (hidden ones included: their author
    may untag them)."""
    return list(
        NoteProduct.objects.filter(note=note)
        .order_by("position", "id")
        .values_list("product_id", flat=True)
    )


def product_offerable(*, creator: User, q: str | None = None) -> QuerySet[Product]:
    """Products ``creator`` may tag on a note or pin in their room: their own
    and any open to affiliates, listed (not hidden, shop open); their own
    first, then newest; only those whose title holds ``q``."""
    products = Product.objects.filter(is_hidden=False, shop__is_open=True).filter(
        Q(shop__owner=creator) | Q(open_to_affiliates=True)
    )
    if q:
        products = products.filter(title__icontains=q)
    return products.select_related("shop__owner").prefetch_related("images").order_by("-id")
