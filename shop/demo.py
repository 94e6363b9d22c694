"""Demo data of the shop: ``manage.py seed_demo`` gives the community shops,
products tagged in notes, pins in past live sessions and a flash sale.

The community's ``seed_demo`` calls :func:`seed_demo` after the live part
(``live.demo``: hosts with past sessions); :func:`add_arguments` gives it
``--shops``. A default run adds:

- two brand shops (new demo members ``demo_brand_*``), their products open
  to affiliates at a 10–20 % commission;
- a shop for each of the first ``--shops`` live hosts (then creators with
  notes when there are fewer hosts), with products of their niche;
- every product listed through ``shop.services.product_create`` with two or
  three painted photos (``community.photos.generate_demo_photo``, the notes'
  painter), rendered at once like an upload's (WebP and JPEG widths, the
  dominant colour) and, for clothes and the like, variants with their own
  stock;
- products tagged on notes (``NoteProduct``): the creators' own products on
  their latest notes, brand products on other creators' notes;
- pins in the hosts' past sessions (``RoomPin`` with the session, pinned and
  unpinned inside the broadcast), one of them a brand's flash sale that ran
  during that broadcast, in the past.

- orders from demo members, attributed to the notes and sessions that
  caused them: a few per pin (bought during the pin), a few per tagged note
  (in the days after it was published), the flash sale's buyers at its
  price during the sale, and a few bought with no source. Regular orders go
  through the cart and ``shop.services.checkout`` (with an idempotency
  key), the flash sale's through ``order_place`` with the sale; all are paid
  through the sandbox provider, and their money is booked by the order
  services (``shop.services.money``), so ``manage.py reconcile_ledger``
  passes. Then, by the order's age, the seller ships it, the buyer confirms
  delivery (the commission becomes earned), a few are refunded by the seller
  or cancelled by the buyer before shipping: every status appears. The
  newest checkout is left ``pending``: its payment is started but, as with a
  provider that calls back later, not answered yet (the sandbox answers at
  once, so the demo holds its answer back); its reservation runs out like
  any other.

Everything is stamped into the past after the services wrote it: shops and
products before the first note they are tagged on, tags after their note's
publication, pins inside their session, orders at their moment with their
payments, ledger entries (with their lines and idempotency records) and
transitions after it. Amounts, balances and links are never touched.

Idempotent: when the demo brands' shops exist, the part adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from community import photos
from community.management.commands.seed_demo import DEMO_PASSWORD
from community.management.demo_plan import DEMO_EMAIL_DOMAIN
from community.models import Note, User
from core.commands import count_option
from kol.models import CreatorProfile
from live.models import LiveSession
from shop import services
from shop.models import FlashSale, NoteProduct, Order, Product, ProductVariant, RoomPin, Shop

DEFAULT_SHOPS = 3
MAX_SHOPS = 30
PHOTO_SIZE = (480, 480)
PHOTOS_PER_PRODUCT = (2, 3)
SHOP_AGE_DAYS = 45  # shops opened this long before today
FLASH_QUANTITY = 30
FLASH_MINUTES = 15


@dataclass(frozen=True)
class ProductPlan:
    title: str
    price: int  # minor units
    description: str
    variants: tuple[tuple[str, int], ...] = ()
    stock: int = 40


def _sizes(*names: str, each: int = 12) -> tuple[tuple[str, int], ...]:
    return tuple((name, each) for name in names)


BRANDS: tuple[tuple[str, str, str, int, tuple[ProductPlan, ...]], ...] = (
    (
        "demo_brand_linen",
        "Linen & Loom",
        "Undyed linen for slow homes and long summers.",
        1500,
        (
            ProductPlan(
                "Stonewashed linen shirt", 32900, "Relaxed fit, mother-of-pearl buttons.",
                _sizes("S", "M", "L"),
            ),
            ProductPlan("Linen tea towels, set of 3", 8900, "Oat, sage and clay."),
            ProductPlan(
                "Waffle bath robe", 45900, "Light, quick to dry.", _sizes("S/M", "L/XL")
            ),
            ProductPlan("Market tote", 12900, "Fits a week of vegetables and a baguette."),
        ),
    ),
    (
        "demo_brand_glow",
        "Glow Lab",
        "Short ingredient lists, honest skincare.",
        2000,
        (
            ProductPlan("Barrier repair cream 50 ml", 16800, "Ceramides, squalane, no scent."),
            ProductPlan("Gentle gel cleanser 150 ml", 9800, "pH 5.5, for mornings and evenings."),
            ProductPlan(
                "Mineral sunscreen SPF 50", 13900, "No white cast on most skin tones.",
                (("Untinted", 20), ("Tinted", 20)),
            ),
        ),
    ),
)  # fmt: skip

NICHE_PRODUCTS: dict[str, tuple[ProductPlan, ...]] = {
    "home-cooking": (
        ProductPlan("Cast-iron skillet 26 cm", 25900, "Pre-seasoned, oven safe."),
        ProductPlan("My weekday spice blend", 4900, "Smoked paprika, cumin, garlic, lemon peel."),
    ),
    "baking": (
        ProductPlan("Sourdough starter kit", 6900, "Dried starter, jar, scraper and my notes."),
        ProductPlan("Banneton proofing basket", 8900, "Rattan, with a linen liner."),
    ),
    "coffee-tea": (
        ProductPlan(
            "Single-origin beans 250 g",
            7800,
            "Washed Ethiopian, roasted this week.",
            (("Whole bean", 25), ("Filter grind", 15)),
        ),
        ProductPlan("Hand-thrown cup", 11800, "Each one a little different."),
    ),
    "fashion": (
        ProductPlan("Capsule wardrobe guide", 3900, "PDF, 40 pages, 30 outfits from 12 pieces."),
        ProductPlan("Knit vest", 26900, "Merino, cropped.", _sizes("S", "M", "L", each=8)),
    ),
    "skincare": (
        ProductPlan("Routine planner", 2900, "Morning and evening, with patch-test notes."),
        ProductPlan("Silk pillowcase", 21900, "Mulberry silk, 22 momme."),
    ),
    "plants-garden": (
        ProductPlan("Terracotta pot set", 9900, "Three sizes, with saucers."),
        ProductPlan("Propagation station", 13900, "Oak and three glass tubes."),
    ),
    "fitness": (
        ProductPlan("Resistance band set", 11900, "Five strengths, with handles."),
        ProductPlan("12-week strength plan", 4900, "Printable, three days a week."),
    ),
}
GENERIC_PRODUCTS = (
    ProductPlan("Signed zine", 5900, "Twenty pages of my favourite spots and recipes."),
    ProductPlan("Canvas tote", 9900, "Heavy cotton, printed by hand.", _sizes("Natural", "Black")),
)


# --- the hook -------------------------------------------------------------------------


def add_arguments(parser: CommandParser) -> None:
    """``seed_demo --shops N``: how many creators get a shop of their own."""
    parser.add_argument(
        "--shops",
        type=count_option("--shops", MAX_SHOPS),
        default=DEFAULT_SHOPS,
        help=f"creators with a shop of their own, 0 to {MAX_SHOPS}: the live hosts first "
        f"(default {DEFAULT_SHOPS}); two brand shops come with any shop",
    )


def seed_demo(*, command: BaseCommand, options: dict[str, Any], rng: random.Random) -> None:
    """Open the demo shops, tag and pin their products, then (when the order
    services exist) sell them (see the module docstring). Idempotent; with
    ``options["dry_run"]`` it only says what it would add."""
    count: int = options.get("shops", DEFAULT_SHOPS)
    verbose = options.get("verbosity", 1) >= 1
    out = command.stdout
    if count == 0:
        if verbose:
            out.write("Shop: --shops 0, nothing to add.")
        return
    brand_names = [brand[0] for brand in BRANDS]
    if Shop.objects.filter(owner__username__in=brand_names).exists():
        if verbose:
            out.write("Shop: the demo shops exist already; nothing to add.")
        return
    sellers = _creator_sellers(count)
    products = len(BRANDS) and sum(len(b[4]) for b in BRANDS) + 2 * len(sellers)
    if options.get("dry_run"):
        out.write(
            f"Dry run (shop): would open {len(BRANDS) + len(sellers)} shops "
            f"({len(BRANDS)} brands, {len(sellers)} creators) with {products} products, tag them "
            "on notes and pin them in past live sessions. Nothing was written."
        )
        return
    seeder = _ShopSeeder(command, rng=rng, verbose=verbose)
    seeder.run(sellers)


def _creator_sellers(count: int) -> list[tuple[User, str]]:
    """``[(creator, main niche slug)]``: the live hosts with past sessions,
    then creators with published notes, at most ``count``."""
    profiles = list(
        CreatorProfile.objects.filter(user__is_active=True, user__is_staff=False)
        .select_related("user")
        .prefetch_related("niches")
        .order_by("pk")
    )
    hosts = set(
        LiveSession.objects.filter(ended_at__isnull=False).values_list("room__host_id", flat=True)
    )
    with_notes = set(
        Note.objects.filter(status=Note.Status.PUBLISHED).values_list("author_id", flat=True)
    )
    ranked = sorted(
        (p for p in profiles if p.user_id in hosts or p.user_id in with_notes),
        key=lambda p: (p.user_id not in hosts, p.pk),
    )
    chosen = []
    for profile in ranked[:count]:
        niches = [n.slug for n in profile.niches.all()]
        chosen.append((profile.user, niches[0] if niches else ""))
    return chosen


class _ShopSeeder:
    """One run of the hook."""

    def __init__(self, command: BaseCommand, *, rng: random.Random, verbose: bool) -> None:
        self.command, self.rng, self.verbose = command, rng, verbose
        self.now = timezone.now()
        self.photo_seed = rng.getrandbits(32)

    def say(self, message: str) -> None:
        if self.verbose:
            self.command.stdout.write(message)

    def run(self, sellers: Sequence[tuple[User, str]]) -> None:
        brands = [self._brand(*brand) for brand in BRANDS]
        brand_products = [p for _, products in brands for p in products]
        creators = [
            (user, self._list(user, NICHE_PRODUCTS.get(niche, GENERIC_PRODUCTS), 0, False))
            for user, niche in sellers
        ]
        with transaction.atomic():
            self._date_shops([shop for shop, _ in brands], [user for user, _ in sellers])
            tags = self._tags(creators, brand_products)
            pins, flash = self._pins(creators, brand_products)
        shops = len(brands) + len(creators)
        products = len(brand_products) + sum(len(p) for _, p in creators)
        self.say(
            f"Shop: {shops} shops with {products} products, {tags} tags on notes, {pins} pins "
            f"in past live sessions{', a past flash sale' if flash else ''}."
        )
        if not _sandbox_on():
            self.say(
                "Shop: no orders; demo orders are paid through the sandbox payment provider "
                "(SPROUT_WALLET_PAYMENT_PROVIDER and SPROUT_WALLET_SANDBOX_SECRET), which is off."
            )
            return
        with transaction.atomic():
            statuses = _OrderSeeder(self.rng, self.now).run(flash)
        self.say(
            f"Shop: {sum(statuses.values())} orders ("
            + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            + "), attributed to their notes and live sessions."
        )

    # --- shops and products -----------------------------------------------------------

    def _brand(
        self, username: str, name: str, bio: str, commission_bps: int, plans: Sequence[ProductPlan]
    ) -> tuple[Shop, list[Product]]:
        user = User.objects.filter(username=username).first()
        if user is None:
            # As the community's seeder makes its members (user_register
            # refuses the published demo password as too common).
            user = User.objects.create_user(
                username=username, email=f"{username}@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD
            )
        User.objects.filter(pk=user.pk).update(
            display_name=name, bio=bio, date_joined=self.now - timedelta(days=SHOP_AGE_DAYS + 5)
        )
        products = self._list(user, plans, commission_bps, True)
        shop = Shop.objects.get(owner=user)
        Shop.objects.filter(pk=shop.pk).update(name=name)
        return shop, products

    def _list(
        self, seller: User, plans: Sequence[ProductPlan], commission_bps: int, affiliates: bool
    ) -> list[Product]:
        listed = []
        for plan in plans:
            images = []
            for k in range(self.rng.randint(*PHOTOS_PER_PRODUCT)):
                self.photo_seed += 1
                images.append(
                    ContentFile(
                        photos.generate_demo_photo(self.photo_seed, *PHOTO_SIZE),
                        name=f"demo-product-{self.photo_seed}-{k}.jpg",
                    )
                )
            stock = sum(n for _, n in plan.variants) if plan.variants else plan.stock
            product = services.product_create(
                seller=seller,
                title=plan.title,
                price=plan.price,
                stock=stock,
                images=images,
                description=plan.description,
                commission_bps=commission_bps or self.rng.choice((500, 800, 1000)),
                open_to_affiliates=affiliates,
                variants=plan.variants,
            )
            # Renditions as a real upload gets them, now: the render task
            # enqueued on commit may not run (no worker yet, or the seed runs
            # inside a transaction); rendering is idempotent.
            for image_id in product.images.values_list("pk", flat=True):
                services.product_image_render(image_id=image_id)
            listed.append(product)
        return listed

    def _date_shops(self, brand_shops: Sequence[Shop], creators: Sequence[User]) -> None:
        """Shops opened ``SHOP_AGE_DAYS`` ago (a creator's a few days later),
        their products listed over the next days."""
        opened = self.now - timedelta(days=SHOP_AGE_DAYS)
        shops = [*brand_shops, *Shop.objects.filter(owner__in=creators).order_by("pk")]
        for index, shop in enumerate(shops):
            at = opened + timedelta(days=index, hours=self.rng.randint(9, 18))
            Shop.objects.filter(pk=shop.pk).update(created_at=at)
            for k, pk in enumerate(shop.products.order_by("pk").values_list("pk", flat=True)):
                listed = at + timedelta(days=k, minutes=self.rng.randint(0, 600))
                Product.objects.filter(pk=pk).update(created_at=listed, updated_at=listed)

    # --- products in notes and live rooms ---------------------------------------------

    def _tags(
        self, creators: Sequence[tuple[User, list[Product]]], brand_products: Sequence[Product]
    ) -> int:
        """Each creator tags their own products on their two latest notes, and
        a brand product on one more; a few other creators tag brand
        products too (affiliates)."""
        tags: list[NoteProduct] = []
        sellers = {user.pk for user, _ in creators}
        for user, products in creators:
            notes = list(
                Note.objects.filter(author=user, status=Note.Status.PUBLISHED).order_by(
                    "-published_at", "-pk"
                )[:3]
            )
            for index, note in enumerate(notes):
                tagged = products[index % len(products) : index % len(products) + 1]
                if index == 2 or not tagged:
                    tagged = [self.rng.choice(brand_products)]
                tags += [NoteProduct(note=note, product=p, position=0) for p in tagged]
        others = _first_note_per_author(
            Note.objects.filter(
                status=Note.Status.PUBLISHED, author__creator__isnull=False
            ).exclude(author_id__in=sellers),
            6,
        )
        for note in others:
            tags.append(NoteProduct(note=note, product=self.rng.choice(brand_products), position=0))
        NoteProduct.objects.bulk_create(tags, ignore_conflicts=True)
        for tag in NoteProduct.objects.filter(note__in={t.note_id for t in tags}).select_related(
            "note"
        ):
            published = tag.note.published_at or self.now
            NoteProduct.objects.filter(pk=tag.pk).update(
                created_at=published + timedelta(minutes=self.rng.randint(1, 30))
            )
        return len(tags)

    def _pins(
        self, creators: Sequence[tuple[User, list[Product]]], brand_products: Sequence[Product]
    ) -> tuple[int, FlashSale | None]:
        """One to three products pinned in turn during each past session of
        the creators who host; a brand's flash sale during the latest
        session of the first host."""
        pins = 0
        flash: FlashSale | None = None
        # The flash sale is of a brand product sold without variants.
        with_variants = set(
            ProductVariant.objects.filter(product__in=brand_products).values_list(
                "product_id", flat=True
            )
        )
        plain = [p for p in brand_products if p.pk not in with_variants]
        for user, products in creators:
            sessions = list(
                LiveSession.objects.filter(room__host=user, ended_at__isnull=False)
                .select_related("room")
                .order_by("-started_at")
            )
            for index, session in enumerate(sessions):
                assert session.ended_at is not None
                choices = [*products, *self.rng.sample(list(brand_products), 1)]
                shown = self.rng.sample(choices, min(len(choices), self.rng.randint(1, 3)))
                span = session.ended_at - session.started_at
                step = span / (len(shown) + 1)
                for k, product in enumerate(shown):
                    pinned = session.started_at + step * (k + 0.5)
                    sale = None
                    if flash is None and index == 0 and product in plain:
                        sale = flash = self._flash_sale(product, user, pinned)
                    pin = RoomPin.objects.create(
                        room=session.room,
                        session=session,
                        product=product,
                        flash_sale=sale,
                        pinned_by=user,
                        unpinned_at=pinned + step,
                    )
                    RoomPin.objects.filter(pk=pin.pk).update(pinned_at=pinned)
                    pins += 1
            if flash is None and sessions:
                # Nobody pinned a brand product in a latest session: the first
                # host's latest session gets one with its flash sale.
                session = sessions[0]
                assert session.ended_at is not None
                product = plain[0]
                pinned = session.ended_at - timedelta(minutes=FLASH_MINUTES + 5)
                flash = self._flash_sale(product, user, pinned)
                pin = RoomPin.objects.create(
                    room=session.room,
                    session=session,
                    product=product,
                    flash_sale=flash,
                    pinned_by=user,
                    unpinned_at=pinned + timedelta(minutes=FLASH_MINUTES + 1),
                )
                RoomPin.objects.filter(pk=pin.pk).update(pinned_at=pinned)
                pins += 1
        return pins, flash

    def _flash_sale(self, product: Product, host: User, starts: Any) -> FlashSale:
        return FlashSale.objects.create(
            product=product,
            price=max(1, product.price * 7 // 10),
            quantity=FLASH_QUANTITY,
            remaining=FLASH_QUANTITY,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=FLASH_MINUTES),
            created_by=product.shop.owner,
        )


def _first_note_per_author(notes: Any, limit: int) -> list[Note]:
    seen: set[int] = set()
    picked: list[Note] = []
    for note in notes.order_by("author_id", "-published_at")[:500]:
        if note.author_id not in seen:
            seen.add(note.author_id)
            picked.append(note)
            if len(picked) == limit:
                break
    return picked


# --- orders ---------------------------------------------------------------------------

PIN_BUYERS = (1, 4)  # orders per pin
TAG_BUYERS = (0, 3)  # orders per tagged note
FLASH_BUYERS = (8, 14)
UNSOURCED = 3
SHIP_AFTER = (timedelta(hours=6), timedelta(days=2))
DELIVER_AFTER = (timedelta(days=2), timedelta(days=4))
CANCEL_EVERY = 9  # one order in this many is cancelled by its buyer before shipping
REFUND_EVERY = 11  # one in this many is refunded by its seller after delivery
REFUND_REASONS = ("Arrived damaged", "Wrong size, returned", "Not as described")


def _sandbox_on() -> bool:
    from django.conf import settings

    from wallet import providers
    from wallet.providers.sandbox import SandboxProvider

    return isinstance(providers.default_provider(), SandboxProvider) and bool(
        str(getattr(settings, "SPROUT_WALLET_SANDBOX_SECRET", "") or "")
    )


@dataclass(frozen=True)
class _Purchase:
    buyer: User
    product: Product
    at: Any  # when it was bought
    source: dict[str, int] | None
    flash_sale: FlashSale | None = None


class _OrderSeeder:
    """The demo's orders, through the order services, then dated."""

    def __init__(self, rng: random.Random, now: Any) -> None:
        self.rng, self.now = rng, now
        self.key = 0

    def run(self, flash: FlashSale | None) -> dict[str, int]:
        purchases = sorted(self._plan(flash), key=lambda p: p.at)
        orders = [
            (order, purchase)
            for index, purchase in enumerate(purchases)
            if (order := self._buy(purchase, hold_payment=index == len(purchases) - 1)) is not None
        ]
        statuses: dict[str, int] = {}
        for age, (order, purchase) in enumerate(reversed(orders)):
            status = self._afterwards(order, purchase, age=age)
            statuses[status] = statuses.get(status, 0) + 1
        self._date_accounts()
        return statuses

    # --- who buys what, when ----------------------------------------------------------

    def _buyers(self, sellers: set[int]) -> list[User]:
        return list(
            User.objects.filter(is_active=True, is_staff=False)
            .exclude(pk__in=sellers)
            .exclude(username__startswith="demo_brand_")
            .order_by("pk")[:400]
        )

    def _plan(self, flash: FlashSale | None) -> list[_Purchase]:
        sellers = set(Shop.objects.values_list("owner_id", flat=True))
        buyers = self._buyers(sellers)
        if not buyers:
            return []
        rng = self.rng
        planned: list[_Purchase] = []

        def buyer_for(product: Product, at: Any) -> User | None:
            eligible = [
                b for b in rng.sample(buyers, min(12, len(buyers)))
                if b.pk != product.shop.owner_id and b.date_joined < at
            ]  # fmt: skip
            return eligible[0] if eligible else None

        pins = RoomPin.objects.filter(session__isnull=False).select_related(
            "product__shop", "session"
        )
        for pin in pins.order_by("pk"):
            if pin.flash_sale_id is not None:
                continue
            end = pin.unpinned_at or pin.pinned_at + timedelta(minutes=10)
            for _ in range(rng.randint(*PIN_BUYERS)):
                at = pin.pinned_at + (end - pin.pinned_at) * rng.random()
                buyer = buyer_for(pin.product, at)
                if buyer is not None and pin.session_id is not None:
                    planned.append(
                        _Purchase(buyer, pin.product, at, {"live_session": pin.session_id})
                    )
        tags = NoteProduct.objects.select_related("product__shop", "note").order_by("pk")
        for tag in tags:
            published = tag.note.published_at or self.now
            window = max(self.now - published - timedelta(hours=1), timedelta(minutes=5))
            for _ in range(rng.randint(*TAG_BUYERS)):
                at = published + window * rng.random() ** 2
                buyer = buyer_for(tag.product, at)
                if buyer is not None:
                    planned.append(_Purchase(buyer, tag.product, at, {"note": tag.note_id}))
        if flash is not None:
            flash_pin = RoomPin.objects.filter(flash_sale=flash).first()
            source = (
                {"live_session": flash_pin.session_id}
                if flash_pin is not None and flash_pin.session_id
                else None
            )
            for _ in range(min(rng.randint(*FLASH_BUYERS), flash.quantity)):
                at = flash.starts_at + (flash.ends_at - flash.starts_at) * rng.random()
                buyer = buyer_for(flash.product, at)
                if buyer is not None:
                    planned.append(_Purchase(buyer, flash.product, at, source, flash))
        products = list(Product.objects.select_related("shop").order_by("pk"))
        for _ in range(UNSOURCED):
            product = rng.choice(products)
            at = self.now - timedelta(days=rng.uniform(1, 20))
            buyer = buyer_for(product, at)
            if buyer is not None:
                planned.append(_Purchase(buyer, product, at, None))
        return planned

    # --- buying, through the services -------------------------------------------------

    def _variant_id(self, product: Product) -> int | None:
        variants = list(product.variants.filter(stock__gt=0).values_list("pk", flat=True))
        return self.rng.choice(variants) if variants else None

    def _buy(self, purchase: _Purchase, *, hold_payment: bool) -> Order | None:
        """Check the purchase out (or place the flash sale's order): the
        order as the services left it, None when it could not be bought."""
        from shop.errors import DomainError

        variant_id = (
            purchase.flash_sale.variant_id
            if purchase.flash_sale is not None
            else self._variant_id(purchase.product)
        )
        quantity = 1 if purchase.flash_sale is not None else self.rng.choice((1, 1, 1, 2, 3))
        self.key += 1
        try:
            with transaction.atomic(), _payment_held(hold_payment):
                if purchase.flash_sale is not None:
                    order = services.order_place(
                        buyer=purchase.buyer,
                        lines=[
                            services.LineRequest(
                                product_id=purchase.product.pk,
                                variant_id=variant_id,
                                quantity=quantity,
                                source=purchase.source,
                            )
                        ],
                        flash_sale=purchase.flash_sale,
                    )
                else:
                    item = services.cart_item_add(
                        user=purchase.buyer,
                        product_id=purchase.product.pk,
                        variant_id=variant_id,
                        quantity=quantity,
                        source=purchase.source,
                    )
                    placed = services.checkout(
                        user=purchase.buyer,
                        idempotency_key=f"demo-order-{self.key}",
                        items=[item.pk],
                        shipping={
                            "name": purchase.buyer.display_name or purchase.buyer.username,
                            "phone": "+1 555 0100",
                            "address": "1 Demo Street, Sprout City",
                        },
                    )
                    order = Order.objects.get(pk=placed["id"])
        except DomainError:
            return None  # out of stock, say: the demo buys something else next
        self._date_order(order, paid=purchase.at)
        return order

    def _afterwards(self, order: Order, purchase: _Purchase, *, age: int) -> str:
        """What happened to a paid order since (``age``: 0 for the newest):
        the newest is still being paid (pending), the next one is waiting to
        be shipped and the one before it is on its way, whatever their
        dates; the others are shipped and delivered as their age allows, the
        fourth newest and one in :data:`CANCEL_EVERY` cancelled by the buyer
        before shipping, the fifth newest and one in :data:`REFUND_EVERY`
        refunded by the seller after delivery."""
        if order.status != Order.Status.PAID or age == 1:
            return str(order.status)
        if age == 2:
            services.order_ship(seller=order.shop.owner, order=order, tracking=f"SP{order.pk:08d}")
            self._date_transition(order, shipped_at=min(purchase.at + SHIP_AFTER[0], self.now))
            return str(Order.Status.SHIPPED)
        rng, seller, buyer = self.rng, order.shop.owner, order.buyer
        shipped = purchase.at + _between(rng, *SHIP_AFTER)
        delivered = shipped + _between(rng, *DELIVER_AFTER)
        refunded = delivered + _between(rng, timedelta(hours=3), timedelta(days=2))
        must_refund = age == 4 or age % REFUND_EVERY == REFUND_EVERY - 1
        if must_refund and refunded >= self.now:
            # Returned quickly: all of it between the purchase and now.
            span = self.now - purchase.at
            shipped, delivered, refunded = (purchase.at + span * f for f in (0.2, 0.5, 0.8))
        if age == 3 or age % CANCEL_EVERY == CANCEL_EVERY - 1:
            services.order_cancel(buyer=buyer, order=order, reason="Ordered by mistake")
            # Before it would have shipped, and never later than now.
            before = min(shipped, self.now) - purchase.at
            self._date_transition(order, cancelled_at=purchase.at + before / 3)
            return str(Order.Status.CANCELLED)
        if shipped >= self.now:
            return str(Order.Status.PAID)
        services.order_ship(seller=seller, order=order, tracking=f"SP{order.pk:08d}")
        self._date_transition(order, shipped_at=shipped)
        if delivered >= self.now:
            return str(Order.Status.SHIPPED)
        services.order_deliver(buyer=buyer, order=order)
        self._date_transition(order, delivered_at=delivered)
        if must_refund:
            services.order_refund(actor=seller, order=order, reason=rng.choice(REFUND_REASONS))
            self._date_transition(order, refunded_at=refunded)
            return str(Order.Status.REFUNDED)
        return str(Order.Status.DELIVERED)

    # --- dating -------------------------------------------------------------------------

    def _date_order(self, order: Order, *, paid: Any) -> None:
        """The order, its payment and its payment entry at ``paid`` (a
        pending order stays as it is: it is being paid now)."""
        order.refresh_from_db()
        if order.status == Order.Status.PENDING:
            return
        created = paid - timedelta(seconds=self.rng.randint(20, 90))
        reserved = (order.reserved_until - order.created_at) if order.reserved_until else None
        Order.objects.filter(pk=order.pk).update(
            created_at=created,
            paid_at=paid if order.paid_at else None,
            reserved_until=created + reserved if reserved is not None else None,
        )
        if order.payment_id is not None:
            from wallet.models import Payment

            Payment.objects.filter(pk=order.payment_id).update(
                created_at=created, completed_at=paid if order.paid_at else None
            )
        self._date_entries(order, paid)

    def _date_accounts(self) -> None:
        """Accounts opened no later than their first line (the orders opened
        sellers' and affiliates' accounts "now", and booked lines on the
        platform's older than what live's demo dated them from), as live's
        demo dates the accounts its gifts opened."""
        from django.db.models import Min, OuterRef, Subquery
        from django.db.models.functions import Coalesce, Least

        from wallet.models import Account, Line

        first_line = (
            Line.objects.filter(account_id=OuterRef("pk"))
            .order_by()
            .values("account_id")
            .annotate(first=Min("created_at"))
            .values("first")
        )
        Account.objects.update(
            created_at=Least("created_at", Coalesce(Subquery(first_line), "created_at"))
        )

    def _date_transition(self, order: Order, **moments: Any) -> None:
        Order.objects.filter(pk=order.pk).update(**moments)
        self._date_entries(order, next(iter(moments.values())))

    def _date_entries(self, order: Order, at: Any) -> None:
        """The order's entries not dated yet (written "now") at ``at``, with
        their lines and idempotency records."""
        from django.db.models import OuterRef, Subquery

        from wallet.models import Entry, IdempotencyRecord, Line

        fresh = list(
            Entry.objects.filter(reference__order=order.pk, created_at__gte=self.now).values_list(
                "pk", flat=True
            )
        )
        if not fresh:
            return
        Entry.objects.filter(pk__in=fresh).update(created_at=at)
        entry_time = Subquery(Entry.objects.filter(pk=OuterRef("entry_id")).values("created_at"))
        for model in (Line, IdempotencyRecord):
            model.objects.filter(entry_id__in=fresh).update(created_at=entry_time)


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rng.random()


class _payment_held:
    """Within the block, an order's payment is started but not answered, as
    with a provider whose callback comes later (the sandbox answers at
    once): the order stays ``pending`` with its stock reserved."""

    def __init__(self, held: bool) -> None:
        self.held = held
        self.patch: Any = None

    def __enter__(self) -> None:
        if self.held:
            from unittest import mock

            import wallet.services

            self.patch = mock.patch.object(
                wallet.services, "payment_start", lambda payment: payment
            )
            self.patch.start()

    def __exit__(self, *exc: object) -> None:
        if self.patch is not None:
            self.patch.stop()
