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
  painter) and, for clothes and the like, variants with their own stock;
- products tagged on notes (``NoteProduct``): the creators' own products on
  their latest notes, brand products on other creators' notes;
- pins in the hosts' past sessions (``RoomPin`` with the session, pinned and
  unpinned inside the broadcast), one of them a brand's flash sale that ran
  during that broadcast, in the past.

Orders (every status, their money booked through the order services) are
:mod:`shop.demo_orders`' part when those services are installed.

Everything is stamped into the past after the services wrote it: shops and
products before the first note they are tagged on, tags after their note's
publication, pins inside their session.

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
from shop.models import FlashSale, NoteProduct, Product, RoomPin, Shop

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
            listed.append(
                services.product_create(
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
            )
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
                    if flash is None and index == 0 and product in brand_products:
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
                product = brand_products[0]
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
