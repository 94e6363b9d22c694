"""What the shop shows on the pages of the apps below it, through their
extension points (registered in ``ShopConfig.ready``):

- under a note's photos, its product cards, which open the product sheet
  (``community.extensions.note_sections``);
- in a live room, the pinned product's card over the video (every viewer)
  and the pin control (the host and the room's moderators)
  (``live.extensions.room_panels``), and the current pin in a joining
  connection's snapshot (``live.extensions.room_join_events``);
- on a broadcast's replay, the same card, shown and hidden as the pins of
  the replay's timeline play back (``live.extensions.replay_panels``): a
  buy from it names that broadcast as its source, as in the room.

The cart and checkout endpoints the buttons post to are the orders part's
(SPEC.md: ``POST /api/v1/shop/cart/items/``, ``POST /api/v1/shop/checkout``,
``POST /api/v1/shop/flash-sales/{id}/buy``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from community.extensions import NoteSection
from community.models import Note
from live import events
from live.extensions import RoomPanel
from live.models import LiveSession, Room
from live.selectors import RoomDetail
from shop import rules, selectors
from shop.selectors.cards import product_image_payload

CART_ITEMS_API = "/api/v1/shop/cart/items/"
CHECKOUT_API = "/api/v1/shop/checkout"
FLASH_BUY_API = "/api/v1/shop/flash-sales/{id}/buy"
NOTE_SCRIPTS = ("js/shop-sheet.js",)
ROOM_SCRIPTS = ("js/shop-pins.js",)
STYLESHEETS = ("css/shop-cards.css",)


def _sheet_product(product: Any) -> dict[str, Any]:
    images = list(product.images.all())
    return {
        "product": product,
        "image": product_image_payload(images[0], card_width=rules.CARD_IMAGE_WIDTH)
        if images
        else None,
        "sheet_image": product_image_payload(images[0]) if images else None,
        "seller": product.shop.owner,
    }


def note_products_section(request: HttpRequest, note: Note) -> NoteSection | None:
    """The note's product cards under its photos (none: no section)."""
    products = selectors.note_products(note)
    if not products:
        return None
    return NoteSection(
        name="products",
        template="shop/partials/note_products.html",
        context={
            "note": note,
            "cards": [_sheet_product(p) for p in products],
            "config": {
                "cartItems": CART_ITEMS_API,
                "checkout": CHECKOUT_API,
                "source": {"note": note.pk},
                "signedIn": bool(request.user.is_authenticated),
                "loginUrl": f"{reverse('login')}?{urlencode({'next': request.path})}",
            },
            "scripts": NOTE_SCRIPTS,
            "stylesheets": STYLESHEETS,
        },
    )


def note_product_picker(request: HttpRequest, note: Note | None) -> NoteSection | None:
    """The product picker of the compose (``note`` None) and edit forms: the
    author's own products and those open to affiliates, with a search. On
    the edit page a pick tags at once; on the compose page the picks are
    tagged once the note exists (``note:created``)."""
    if note is not None and note.author_id != request.user.pk:
        return None  # a moderator editing someone's note does not pick products
    current = selectors.note_products(note) if note is not None else []
    return NoteSection(
        name="product_picker",
        template="shop/partials/note_product_picker.html",
        context={
            "config": {
                "noteId": note.pk if note is not None else None,
                "max": rules.NOTE_PRODUCTS_MAX,
                "taggable": "/api/v1/shop/products/taggable",
                "tag": "/api/v1/notes/{note}/products/{product}",
                "current": [selectors.product_card(p, request=request) for p in current],
            },
            "scripts": ("js/shop-picker.js",),
            "stylesheets": STYLESHEETS,
        },
    )


def room_join_pin(room: Room) -> list[dict[str, Any]]:
    """A joining connection's snapshot: the room's pinned product, if any."""
    pin = selectors.room_pin_current(room)
    if pin is None:
        return []
    return [dict(events.product_pinned(selectors.pinned_product(pin)))]


def _pin_config(request: HttpRequest, detail: RoomDetail) -> dict[str, Any]:
    pin = selectors.room_pin_current(detail.room)
    return {
        "roomId": detail.room.pk,
        "sessionId": detail.session_id,
        "signedIn": bool(request.user.is_authenticated),
        "isHost": request.user.pk == detail.room.host_id,
        "canPin": selectors.can_pin(request.user, detail.room),
        "pinned": selectors.pinned_product(pin) if pin is not None else None,
        "api": {
            "pin": f"/api/v1/live/rooms/{detail.room.pk}/pin",
            "taggable": "/api/v1/shop/products/taggable",
            "cartItems": CART_ITEMS_API,
            "checkout": CHECKOUT_API,
            "flashBuy": FLASH_BUY_API,
        },
    }


def room_pin_card(request: HttpRequest, detail: RoomDetail) -> RoomPanel | None:
    """The pinned product's card over the video, for everyone (hidden until
    a product is pinned)."""
    if detail.room.state == Room.State.ENDED:
        return None
    return RoomPanel(
        name="pin_card",
        template="shop/partials/room_pin_card.html",
        where="stage",
        context={"config": _pin_config(request, detail)},
        scripts=ROOM_SCRIPTS,
        stylesheets=STYLESHEETS,
    )


def room_pin_control(request: HttpRequest, detail: RoomDetail) -> RoomPanel | None:
    """The pin control under the room's title: the host and room moderators."""
    if detail.room.state == Room.State.ENDED or not selectors.can_pin(request.user, detail.room):
        return None
    return RoomPanel(
        name="pin_control",
        template="shop/partials/room_pin_control.html",
        where="info",
        scripts=ROOM_SCRIPTS,
        stylesheets=STYLESHEETS,
    )


def replay_pin_card(request: HttpRequest, session: LiveSession) -> RoomPanel | None:
    """The pinned product's card on a broadcast's replay, for everyone:
    hidden until the replay's timeline plays a pin (``product_pinned``);
    nobody pins from a replay, and its host sees no buy button."""
    return RoomPanel(
        name="pin_card",
        template="shop/partials/room_pin_card.html",
        where="stage",
        context={
            "config": {
                "roomId": session.room_id,
                "sessionId": session.pk,
                "signedIn": bool(request.user.is_authenticated),
                "isHost": request.user.pk == session.room.host_id,
                "canPin": False,
                "pinned": None,
                "api": {
                    "cartItems": CART_ITEMS_API,
                    "checkout": CHECKOUT_API,
                    "flashBuy": FLASH_BUY_API,
                },
            }
        },
        scripts=ROOM_SCRIPTS,
        stylesheets=STYLESHEETS,
    )
