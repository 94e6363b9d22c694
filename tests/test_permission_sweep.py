"""Every operation of the OpenAPI schema as an anonymous visitor, as another
member and as the owner of the object it addresses.

The operations come from the schema drf-spectacular generates (what
``/api/schema/`` serves), never from a list kept by hand; ``RULES`` says
for each operation id what it addresses and who may do it, and an operation
the table does not know fails ``test_every_operation_has_a_rule`` (the way
``tests/test_abuse.py`` sweeps every URL). Each operation runs in a world of
its own, built with the factories: the owner (a host with a shop, a live
room, notes, a private board, a draft, orders...), another member just as
capable (also a host with a shop and coins) and a third member (a buyer, a
room moderator). The calls go anonymous, other member, owner, so a write
that succeeded for a non-owner shows before the owner changes anything.

Failures:
- a non-owner gets a 2xx from an ``owner`` operation (a write, or a private
  read such as a draft, a wallet, an order, a cart line);
- an anonymous visitor gets a 2xx where the schema asks for authentication;
- the owner is refused (401/403) an ``owner`` operation or does not
  succeed where the rule expects it to, which proves the others' request
  was a valid one refused for who sent it, not for its body;
- any answer to a non-owner holds one of the owner's private texts (their
  e-mail address, their draft's title, their private board's name, their
  application's pitch);
- a member who is not staff succeeds at a ``staff`` operation;
- a 5xx anywhere.

Public reads and what any member may do to another's object by design
(like, comment, follow, report, buy, send a gift) are in the table with
the reason.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from community import services as community_services
from community.models import Note, User
from tests.factories import (
    ApplicationFactory,
    BoardFactory,
    ChatMessageFactory,
    CommentFactory,
    HostFactory,
    InvitationFactory,
    NoteFactory,
    NotificationFactory,
    PhotoFactory,
    RoomFactory,
    TopicFactory,
    UserFactory,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

# --- the operations, from the schema ------------------------------------------------


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    anonymous_allowed: bool  # the schema lists no-authentication among its security


@cache
def schema_operations() -> dict[str, Operation]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            security = spec.get("security")
            anonymous = security is None or {} in security
            found[spec["operationId"]] = Operation(
                spec["operationId"], method.upper(), path, anonymous
            )
    return found


# --- the world ------------------------------------------------------------------------


@dataclass
class World:
    owner: User
    other: User
    third: User
    restricted: User  # muted in the owner's room
    ids: dict[str, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)  # the owner's private texts


def _fund(user: User, coins: int) -> None:
    from tests.factories.wallet import fund

    fund(user, coins)


def build_world() -> World:
    owner = HostFactory(email=f"owner-{uuid.uuid4().hex[:8]}@private.example")
    other = HostFactory()
    third = UserFactory()
    for member in (owner, other, third):
        _fund(member, 1_000)
    world = World(owner, other, third, UserFactory())
    topic = TopicFactory()
    note = NoteFactory(author=owner, photos=0)
    note.topics.add(topic)
    photo = PhotoFactory(note=note, owner=owner)
    second_photo = PhotoFactory(note=note, owner=owner, position=1)  # one may go
    draft_word = uuid.uuid4().hex[:10]
    # The search echoes its query: the secret is the whole title, the query one word.
    draft_title = f"Unpublished {draft_word}"
    draft = NoteFactory(
        author=owner, photos=0, status=Note.Status.DRAFT, title=draft_title, published_at=None
    )
    board_name = f"board-{uuid.uuid4().hex[:10]}"
    board = BoardFactory(owner=owner, name=board_name, is_private=True)
    pitch = f"pitch-{uuid.uuid4().hex[:10]} " * 4
    application = ApplicationFactory(applicant=owner, pitch=pitch)
    invitation = InvitationFactory(user=owner, expires_at=timezone.now() + timedelta(days=3))
    comment = CommentFactory(note=note, author=owner)
    room = RoomFactory(host=owner, live=True)
    from live import services as live_services
    from live.models import LiveSession

    live_services.room_moderator_add(actor=owner, room=room, user=third)
    from tests.factories import RoomRestrictionFactory

    RoomRestrictionFactory(room=room, user=world.restricted)
    message = ChatMessageFactory(room=room, user=third, text="hello")
    community_services.user_follow(follower=third, followee=owner)
    world.secrets = [owner.email, draft_title, board_name, pitch.split()[0]]
    # The other member's own objects, for requests naming the owner's in their body.
    other_note = NoteFactory(author=other, photos=1)
    loose_photo = PhotoFactory(owner=owner, note=None)
    notification = NotificationFactory(recipient=owner, actor=third)
    # A past broadcast of the owner's with its replay (published), and one
    # whose replay the owner keeps unpublished (private to them and the moderators).
    from live.models import Room
    from tests.factories import LiveSessionFactory
    from tests.live.replays import ready_replay

    past_room = RoomFactory(host=owner, state=Room.State.ENDED)
    replay = ready_replay(session=LiveSessionFactory(room=past_room))
    unpublished = ready_replay(session=LiveSessionFactory(room=past_room), published=False)
    world.ids.update(
        replay_session=replay.session_id,
        unpublished_session=unpublished.session_id,
    )
    world.ids.update(
        note=note.pk,
        draft=draft.pk,
        comment=comment.pk,
        board=board.pk,
        application=application.pk,
        invitation=invitation.pk,
        room=room.pk,
        session=LiveSession.objects.get(room=room).pk,
        message=message.pk,
        photo=photo.pk,
        second_photo=second_photo.pk,
        other_note=other_note.pk,
        other_room=RoomFactory(host=other, live=True).pk,
        loose_photo=loose_photo.pk,
        notification=notification.pk,
    )
    world.values.update(
        key=topic.key, provider="sandbox", photo_id=str(photo.pk), draft_word=draft_word
    )
    if apps.is_installed("shop"):
        from tests.factories import (
            CartItemFactory,
            FlashSaleFactory,
            OrderFactory,
            OrderLineFactory,
            ProductFactory,
            ProductImageFactory,
            ShopFactory,
        )

        shop = ShopFactory(owner=owner)
        other_product = ProductFactory(shop=ShopFactory(owner=other))
        ProductImageFactory(product=other_product)
        product = ProductFactory(shop=shop)
        third_shop = ShopFactory(owner=third)
        address = f"address-{uuid.uuid4().hex[:10]}"
        world.secrets.append(address)
        bought = OrderFactory(buyer=owner, shop=third_shop, ship_address=address)
        OrderLineFactory(order=bought, product=ProductFactory(shop=third_shop))
        shipped = OrderFactory(buyer=owner, shop=third_shop, status="shipped")
        OrderLineFactory(order=shipped, product=ProductFactory(shop=third_shop))
        sold = OrderFactory(buyer=third, shop=shop)
        OrderLineFactory(order=sold, product=product)
        world.ids.update(
            product=product.pk,
            flash_sale=FlashSaleFactory(product=ProductFactory(shop=shop)).pk,
            cart_item=CartItemFactory(user=owner, product=ProductFactory(shop=third_shop)).pk,
            order=bought.pk,
            sold_order=sold.pk,
            shipped_order=shipped.pk,
            product_image=ProductImageFactory(product=product).pk,
            other_product=other_product.pk,
        )
        world.values["product_id"] = str(product.pk)
    return world


# --- the table ------------------------------------------------------------------------

# Who may call an operation:
OWNER = "owner"  # only the owner of the addressed object (or of the caller's own data)
PUBLIC = "public"  # a public read: everyone, anonymous visitors too
MEMBER = "member"  # any member, on someone else's object too, by design (reason)
SELF = "self"  # the caller's own data, nothing of another addressed (no id of theirs)
OPEN = "open"  # no account involved by design (reason)
STAFF = "staff"  # staff only: no member succeeds, the owner included

Body = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    who: str
    target: str = ""  # the World id {id} names
    reason: str = ""
    body: Body | None = None
    multipart: bool = False
    # The owner's call must succeed (proving the request was valid); where the
    # object's state forbids it for everyone, the status the owner gets.
    owner_status: int | None = None
    username: str = "owner"  # whose username {username} names
    query: str = ""  # formatted with the world's values ({draft_word})
    # A private object of the owner the same operation may address (their
    # draft): non-owners must get no 2xx there, and the owner may read it.
    private: str = ""


def _key() -> str:
    return uuid.uuid4().hex


def _image() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("sweep.jpg", jpeg_bytes(), "image/jpeg")


RULES: dict[str, Rule] = {
    # --- accounts and the caller's own data
    "auth_register_create": Rule(OPEN, reason="signing up needs no account"),
    "auth_token_create": Rule(OPEN, reason="logging in needs no account"),
    "me_retrieve": Rule(SELF),
    "me_partial_update": Rule(SELF, body=lambda w: {"bio": "hello"}),
    "me_blocked_retrieve": Rule(SELF),
    "notifications_retrieve": Rule(SELF),
    "notifications_read_create": Rule(SELF),
    "photos_create": Rule(SELF, body=lambda w: {"image": _image()}, multipart=True),
    "feed_following_retrieve": Rule(SELF),
    "wallet_retrieve": Rule(SELF),
    "wallet_ledger_retrieve": Rule(SELF),
    "wallet_recharge_create": Rule(SELF),
    "wallet_callbacks_create": Rule(
        OPEN, reason="the payment provider's callback, authenticated by its signature"
    ),
    # --- notes
    "notes_list": Rule(PUBLIC),
    "notes_create": Rule(SELF),
    "notes_retrieve": Rule(PUBLIC, target="note", private="draft"),
    "notes_partial_update": Rule(
        OWNER, target="note", private="draft", body=lambda w: {"title": "Mine now"}
    ),
    "notes_destroy": Rule(OWNER, target="note", private="draft"),
    "notes_photos_list": Rule(PUBLIC, target="note", private="draft"),
    "notes_photos_add": Rule(
        OWNER, target="note", body=lambda w: {"image": _image()}, multipart=True, private="draft"
    ),
    "notes_photos_reorder": Rule(
        OWNER, target="note", body=lambda w: {"photo_ids": [w.ids["second_photo"], w.ids["photo"]]}
    ),
    "notes_photos_remove": Rule(OWNER, target="note"),
    "notes_comments_retrieve": Rule(PUBLIC, target="note", private="draft"),
    "notes_comments_create": Rule(
        MEMBER,
        target="note",
        private="draft",
        reason="any member comments on a published note",
        body=lambda w: {"body": "Nice"},
    ),
    "notes_like_create": Rule(
        MEMBER, target="note", private="draft", reason="any member likes a note"
    ),
    "notes_like_destroy": Rule(MEMBER, target="note", reason="one's own like, undone"),
    "notes_collect_create": Rule(
        MEMBER, target="note", private="draft", reason="into one's own board"
    ),
    "notes_collect_destroy": Rule(MEMBER, target="note", reason="from one's own boards"),
    "comments_destroy": Rule(OWNER, target="comment"),
    "reports_create": Rule(
        MEMBER, reason="any member reports content to the moderators", body=None
    ),
    # --- boards, topics, people, feeds, search
    "boards_list": Rule(SELF),
    "boards_create": Rule(SELF),
    "boards_notes_retrieve": Rule(OWNER, target="board"),
    "topics_retrieve": Rule(PUBLIC),
    "topics_notes_retrieve": Rule(PUBLIC),
    "topics_follow_create": Rule(MEMBER, reason="following a topic is one's own choice"),
    "topics_follow_destroy": Rule(MEMBER, reason="one's own topic follow"),
    "users_retrieve": Rule(PUBLIC),
    "users_notes_retrieve": Rule(PUBLIC),
    "users_followers_retrieve": Rule(PUBLIC),
    "users_following_retrieve": Rule(PUBLIC),
    "users_follow_create": Rule(MEMBER, reason="anyone follows anyone"),
    "users_follow_destroy": Rule(MEMBER, reason="one's own follow"),
    "users_block_create": Rule(MEMBER, reason="anyone blocks anyone"),
    "users_block_destroy": Rule(MEMBER, reason="one's own block"),
    "feed_discover_retrieve": Rule(PUBLIC),
    "search_retrieve": Rule(PUBLIC, query="q={draft_word}"),
    # --- creators
    "creators_list": Rule(PUBLIC),
    "creators_retrieve": Rule(PUBLIC, reason="a creator's public profile"),
    "niches_list": Rule(PUBLIC),
    "creators_applications_list": Rule(SELF),
    "creators_applications_create": Rule(SELF),
    "creators_applications_withdraw": Rule(OWNER, target="application"),
    "invitations_list": Rule(SELF),
    "invitations_create": Rule(STAFF, body=lambda w: {"username": w.third.username}),
    "invitations_accept_create": Rule(OWNER, target="invitation"),
    "invitations_decline_create": Rule(OWNER, target="invitation"),
    # --- live
    "live_rooms_list": Rule(PUBLIC),
    "live_rooms_create": Rule(SELF),
    "live_rooms_retrieve": Rule(PUBLIC, target="room"),
    "live_rooms_end_create": Rule(OWNER, target="room"),
    "live_rooms_gifts_create": Rule(
        MEMBER,
        target="room",
        reason="any member sends a gift to a live room",
        body=lambda w: {"gift": "rose", "idempotency_key": _key()},
    ),
    "live_rooms_gifts_retrieve": Rule(PUBLIC, target="room"),
    "live_rooms_leaderboard_retrieve": Rule(PUBLIC, target="room"),
    "live_rooms_moderators_list": Rule(PUBLIC, target="room"),
    "live_rooms_moderators_create": Rule(
        OWNER, target="room", body=lambda w: {"username": w.other.username}
    ),
    "live_rooms_moderators_destroy": Rule(OWNER, target="room", username="third"),
    "live_rooms_pin_read": Rule(PUBLIC, target="room"),
    "live_rooms_pin": Rule(
        OWNER, target="room", body=lambda w: {"product": w.ids.get("product", 0)}
    ),
    "live_rooms_unpin": Rule(OWNER, target="room", owner_status=None),
    "live_rooms_restrictions_list": Rule(OWNER, target="room"),
    "live_rooms_restrictions_create": Rule(
        OWNER,
        target="room",
        body=lambda w: {"username": w.other.username, "kind": "mute", "minutes": 5},
    ),
    "live_rooms_restrictions_destroy": Rule(
        OWNER, target="room", username="restricted", query="kind=mute"
    ),
    "live_rooms_ticket_create": Rule(
        MEMBER, target="room", reason="any viewer gets a websocket ticket for a room"
    ),
    "live_messages_destroy": Rule(OWNER, target="message"),
    "live_sessions_report_retrieve": Rule(OWNER, target="session"),
    "live_rooms_sessions_list": Rule(PUBLIC, target="room"),
    "live_sessions_retrieve": Rule(PUBLIC, target="replay_session"),
    "live_sessions_timeline_retrieve": Rule(
        PUBLIC, target="replay_session", private="unpublished_session"
    ),
    "live_sessions_replay_partial_update": Rule(
        OWNER, target="replay_session", body=lambda w: {"published": False}
    ),
    "live_sessions_replay_destroy": Rule(OWNER, target="replay_session"),
    # Hiding is the moderators' (the world's third member moderates the
    # owner's room): the host is refused too.
    "live_sessions_replay_hide_create": Rule(
        OWNER, target="replay_session", body=lambda w: {"reason": "spam"}, owner_status=403
    ),
    "live_sessions_replay_hide_destroy": Rule(OWNER, target="replay_session", owner_status=403),
    "live_sessions_replay_watch_create": Rule(
        MEMBER,
        target="replay_session",
        reason="anyone who may watch a replay reports watching it",
        body=lambda w: {"seconds": 10},
    ),
    "live_stream_key_create": Rule(SELF),
    "gifts_retrieve": Rule(PUBLIC),
    # --- shop (absent with SHOP_ENABLED=false)
    "notes_products_tag": Rule(OWNER, target="note"),
    "notes_products_untag": Rule(OWNER, target="note"),
    "shop_cart": Rule(SELF),
    "shop_cart_items_create": Rule(SELF),
    "shop_cart_items_partial_update": Rule(
        OWNER, target="cart_item", body=lambda w: {"quantity": 2}
    ),
    "shop_cart_items_destroy": Rule(OWNER, target="cart_item"),
    "shop_checkout_create": Rule(SELF),
    "shop_flash_sales_list": Rule(SELF, reason="the caller's own shop's sales"),
    "shop_flash_sales_create": Rule(SELF),
    "shop_flash_sales_retrieve": Rule(PUBLIC, target="flash_sale"),
    "shop_flash_sales_buy_create": Rule(
        MEMBER,
        target="flash_sale",
        reason="any member buys in a flash sale",
        body=lambda w: {"idempotency_key": _key()},
    ),
    "shop_flash_sales_cancel_create": Rule(OWNER, target="flash_sale"),
    "shop_orders_list": Rule(SELF),
    "shop_orders_retrieve": Rule(OWNER, target="order"),
    "shop_orders_cancel_create": Rule(OWNER, target="order"),
    "shop_orders_ship_create": Rule(OWNER, target="sold_order"),
    "shop_orders_deliver_create": Rule(OWNER, target="shipped_order"),
    "shop_orders_refund_create": Rule(
        OWNER, target="sold_order", body=lambda w: {"reason": "Out of stock"}
    ),
    "shop_products_list": Rule(PUBLIC),
    "shop_products_create": Rule(SELF),
    "shop_products_retrieve": Rule(PUBLIC, target="product"),
    "shop_products_partial_update": Rule(
        OWNER, target="product", body=lambda w: {"title": "Mine now"}
    ),
    "shop_products_images_set": Rule(
        OWNER, target="product", body=lambda w: {"keep": [w.ids["product_image"]]}, multipart=True
    ),
    "shop_products_taggable": Rule(SELF),
}


# --- the calls ------------------------------------------------------------------------


def build_path(op: Operation, rule: Rule, world: World, target: str = "") -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "id":
            if not rule.target:
                raise AssertionError(f"{op.id}: its rule names no target for {{id}}")
            return str(world.ids[target or rule.target])
        if name == "username":
            return getattr(world, rule.username).username  # type: ignore[no-any-return]
        if name in world.values:
            return world.values[name]
        raise AssertionError(f"{op.id}: no value for {{{name}}}; add one to build_world")

    return re.sub(r"\{(\w+)\}", value, op.path)


def call(client: APIClient, op: Operation, rule: Rule, world: World, target: str = "") -> Any:
    path = build_path(op, rule, world, target)
    if rule.query:
        path += "?" + rule.query.format(**world.values)
    body = rule.body(world) if rule.body else {}
    send = getattr(client, op.method.lower())
    if op.method == "GET":
        return send(path)
    if rule.multipart:
        return send(path, body, format="multipart")
    return send(path, body, format="json")


def as_member(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


OPERATIONS = schema_operations()


def test_every_operation_has_a_rule() -> None:
    missing = sorted(set(OPERATIONS) - set(RULES))
    assert not missing, (
        "tests/test_permission_sweep.py: the API has operations the permission sweep "
        f"does not know: {missing}. Add each to RULES: who may call it and which "
        "object of the owner its path addresses."
    )
    # An entry for an operation that is gone is stale, unless its app is off.
    if apps.is_installed("shop"):
        stale = sorted(set(RULES) - set(OPERATIONS))
        assert not stale, f"RULES names operations the schema no longer has: {stale}"
    for op_id, rule in RULES.items():
        assert rule.who in (OWNER, PUBLIC, MEMBER, SELF, OPEN, STAFF), op_id
        if rule.who in (MEMBER, OPEN):
            assert rule.reason, f"{op_id}: say why any member (or anyone) may do this"


def _brief(response: Any) -> str:
    return f"{response.status_code} {response.content[:300]!r}"


@pytest.mark.parametrize("op_id", sorted(set(OPERATIONS) & set(RULES)))
def test_operation_respects_its_owner(op_id: str) -> None:
    op, rule = OPERATIONS[op_id], RULES[op_id]
    world = build_world()
    failures: list[str] = []
    for role, client in (("anonymous", APIClient()), ("other", as_member(world.other))):
        response = call(client, op, rule, world)
        ok = 200 <= response.status_code < 300
        if response.status_code >= 500:
            failures.append(f"{role}: a server error {_brief(response)}")
        if ok and rule.who in (OWNER, STAFF):
            failures.append(f"{role} succeeded on the owner's {rule.target}: {_brief(response)}")
        anonymous_refused = rule.who not in (PUBLIC, OPEN) and not op.anonymous_allowed
        if ok and role == "anonymous" and anonymous_refused:
            failures.append(f"anonymous succeeded without an account: {_brief(response)}")
        text = response.content.decode(errors="replace")
        for secret in world.secrets:
            if secret in text:
                failures.append(f"{role} was shown the owner's private {secret!r}")
    if rule.private:
        for role, client in (("anonymous", APIClient()), ("other", as_member(world.other))):
            response = call(client, op, rule, world, rule.private)
            if 200 <= response.status_code < 300 or response.status_code >= 500:
                failures.append(f"{role} on the owner's {rule.private}: {_brief(response)}")
        if op.method == "GET":
            mine = call(as_member(world.owner), op, rule, world, rule.private)
            if not 200 <= mine.status_code < 300:
                failures.append(f"the owner cannot read their {rule.private}: {_brief(mine)}")
    owner = call(as_member(world.owner), op, rule, world)
    if owner.status_code >= 500:
        failures.append(f"owner: a server error {_brief(owner)}")
    if rule.who == STAFF and 200 <= owner.status_code < 300:
        failures.append(f"a member who is not staff succeeded: {_brief(owner)}")
    if rule.who == OWNER:
        expected = rule.owner_status
        if expected is None and not 200 <= owner.status_code < 300:
            failures.append(
                "the owner did not succeed, so the others' refusal proves nothing: "
                f"{_brief(owner)} (give the rule a valid body, or owner_status)"
            )
        elif expected is not None and owner.status_code != expected:
            failures.append(f"owner: expected {expected}, got {_brief(owner)}")
    assert not failures, f"{op.method} {op.path} ({op_id}):\n  " + "\n  ".join(failures)


def test_private_texts_are_private_to_begin_with() -> None:
    """The secrets the sweep looks for are really there for their owner: a
    sweep looking for texts nobody is ever shown would find no leak."""
    world = build_world()
    owner = as_member(world.owner)
    assert world.secrets[0] in owner.get("/api/v1/me").content.decode()
    assert world.secrets[2] in json.dumps(owner.get("/api/v1/boards/").json())


# --- ids in request bodies --------------------------------------------------------------
# Every integer (or list of integers) in a request body is either an id of
# an object, or a number (a quantity, a price). An id is tried as the other
# member, on their own object, naming the owner's: no 2xx, unless the rule
# says the request is answered and ignored (then the owner's object is
# checked unchanged). A new integer field fails
# test_every_body_integer_has_a_rule until it is listed here.


@dataclass(frozen=True)
class Ref:
    reason: str = ""  # a number, or why naming another's object is allowed
    target: str = ""  # the World id the other member's request addresses ({id})
    body: Body | None = None  # naming the owner's object
    multipart: bool = False
    unchanged: Callable[[World], bool] | None = None  # answered 2xx, and ignored


def _unread(world: World) -> bool:
    from community.models import Notification

    return Notification.objects.get(pk=world.ids["notification"]).read_at is None


NUMBER = "a number, not an id"
BODY_REFS: dict[tuple[str, str], Ref] = {
    ("live_rooms_gifts_create", "quantity"): Ref(NUMBER),
    ("live_rooms_restrictions_create", "minutes"): Ref(NUMBER),
    ("live_sessions_replay_watch_create", "seconds"): Ref(NUMBER),
    ("shop_cart_items_create", "quantity"): Ref(NUMBER),
    ("shop_cart_items_partial_update", "quantity"): Ref(NUMBER),
    ("shop_flash_sales_create", "price"): Ref(NUMBER),
    ("shop_flash_sales_create", "quantity"): Ref(NUMBER),
    ("shop_products_create", "price"): Ref(NUMBER),
    ("shop_products_create", "stock"): Ref(NUMBER),
    ("shop_products_create", "commission_bps"): Ref(NUMBER),
    ("shop_products_partial_update", "price"): Ref(NUMBER),
    ("shop_products_partial_update", "stock"): Ref(NUMBER),
    ("shop_products_partial_update", "commission_bps"): Ref(NUMBER),
    ("wallet_recharge_create", "coins"): Ref(NUMBER),
    ("shop_cart_items_create", "product"): Ref("any member buys any seller's product"),
    ("shop_cart_items_create", "variant"): Ref("a variant of the product bought"),
    ("shop_cart_items_create", "source"): Ref("attribution names a creator's note or session"),
    ("live_rooms_pin", "product"): Ref(
        target="other_room", body=lambda w: {"product": w.ids["product"]}
    ),
    ("notes_create", "photo_ids"): Ref(
        body=lambda w: {"title": "Borrowed", "photo_ids": [w.ids["loose_photo"]]}
    ),
    ("notes_partial_update", "photo_ids"): Ref(
        target="other_note", body=lambda w: {"photo_ids": [w.ids["loose_photo"]]}
    ),
    ("notes_photos_reorder", "photo_ids"): Ref(
        target="other_note", body=lambda w: {"photo_ids": [w.ids["photo"]]}
    ),
    ("notes_collect_create", "board"): Ref(
        target="other_note", body=lambda w: {"board": w.ids["board"]}
    ),
    ("notes_comments_create", "parent"): Ref(
        target="other_note", body=lambda w: {"body": "Hi", "parent": w.ids["comment"]}
    ),
    ("notifications_read_create", "ids"): Ref(
        body=lambda w: {"ids": [w.ids["notification"]]}, unchanged=_unread
    ),
    ("reports_create", "note"): Ref(body=lambda w: {"note": w.ids["draft"], "reason": "spam"}),
    ("reports_create", "comment"): Ref("any member reports any visible comment"),
    ("shop_checkout_create", "items"): Ref(
        body=lambda w: {"idempotency_key": _key(), "items": [w.ids["cart_item"]]}
    ),
    ("shop_flash_sales_create", "product"): Ref(
        body=lambda w: {
            "product": w.ids["product"],
            "price": 100,
            "quantity": 1,
            "starts_at": (timezone.now() + timedelta(minutes=5)).isoformat(),
            "ends_at": (timezone.now() + timedelta(hours=1)).isoformat(),
        }
    ),
    ("shop_flash_sales_create", "variant"): Ref("a variant of the product, checked with it"),
    ("shop_products_images_set", "keep"): Ref(
        target="other_product",
        body=lambda w: {"keep": [w.ids["product_image"]]},
        multipart=True,
    ),
}


@cache
def body_integers() -> set[tuple[str, str]]:
    """(operation id, field) of every integer or list of integers in a
    request body, and of every field the schema gives several shapes."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    found = set()
    for methods in schema["paths"].values():
        for spec in methods.values():
            for content in spec.get("requestBody", {}).get("content", {}).values():
                for name, prop in deref(content["schema"]).get("properties", {}).items():
                    prop = deref(prop)
                    kind = prop.get("type")
                    if kind == "array":
                        kind = deref(prop.get("items", {})).get("type")
                    if kind == "integer" or "oneOf" in prop or "anyOf" in prop:
                        found.add((spec["operationId"], name))
    return found


def test_every_body_integer_has_a_rule() -> None:
    missing = sorted(body_integers() - set(BODY_REFS))
    assert not missing, (
        "tests/test_permission_sweep.py: request bodies have integer fields the "
        f"permission sweep does not know: {missing}. Add each to BODY_REFS: a number, "
        "or an id (a request of the other member naming the owner's object)."
    )
    if apps.is_installed("shop"):
        stale = sorted(set(BODY_REFS) - body_integers())
        assert not stale, f"BODY_REFS names fields the schema no longer has: {stale}"


FOREIGN = sorted(key for key in body_integers() & set(BODY_REFS) if BODY_REFS[key].body)


@pytest.mark.parametrize("op_field", FOREIGN, ids=[f"{o}.{f}" for o, f in FOREIGN])
def test_body_naming_the_owners_object_is_refused(op_field: tuple[str, str]) -> None:
    op_id, name = op_field
    op, ref = OPERATIONS[op_id], BODY_REFS[op_field]
    world = build_world()
    rule = Rule(OWNER, target=ref.target, body=ref.body, multipart=ref.multipart)
    response = call(as_member(world.other), op, rule, world)
    assert response.status_code < 500, _brief(response)
    if ref.unchanged is not None:
        assert ref.unchanged(world), f"{op_id}: {name} changed the owner's object"
    else:
        assert not 200 <= response.status_code < 300, (
            f"{op.method} {op.path}: the other member's {name} naming the owner's "
            f"object succeeded: {_brief(response)}"
        )
