"""The shop's services: listing products (the first opens the shop), their
sellers' changes, and moderators hiding products and closing shops."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from community.models import User
from core.errors import InvalidImage
from shop import rules, services
from shop.errors import (
    ImagesRequired,
    NotTheSeller,
    PermissionDenied,
    ShopClosed,
    TooManyImages,
    ValidationFailed,
)
from shop.models import Product, Shop
from tests.factories import (
    ProductFactory,
    ProductVariantFactory,
    UserFactory,
    fresh,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db


def jpeg(name: str = "tote.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(320, 240), content_type="image/jpeg")


def create(seller: User, **overrides: object) -> Product:
    fields: dict[str, object] = {
        "title": "Linen tote",
        "description": "Undyed linen.",
        "price": 5900,
        "stock": 12,
        "images": [jpeg(), jpeg("back.jpg")],
    }
    fields.update(overrides)
    return services.product_create(seller=seller, **fields)  # type: ignore[arg-type]


def test_first_product_opens_the_shop(user: User) -> None:
    product = create(user, commission_bps=1500, open_to_affiliates=True, variants=[("M", 3)])
    shop = Shop.objects.get(owner=user)
    assert product.shop == shop and shop.is_open and shop.name == user.username
    assert [i.position for i in product.images.all()] == [0, 1]
    assert product.commission_bps == 1500 and product.open_to_affiliates
    assert [(v.name, v.stock) for v in product.variants.all()] == [("M", 3)]
    create(user, title="Second")
    assert Shop.objects.filter(owner=user).count() == 1
    assert Product.objects.filter(shop=shop).count() == 2


def test_images_are_cleaned_by_the_one_pipeline(user: User) -> None:
    product = create(user)
    image = product.images.first()
    assert image is not None
    with Image.open(image.image.path) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
    assert (image.width, image.height) == (320, 240)
    assert not (image.image.name or "").endswith("tote.jpg")  # never the uploader's name


def test_images_between_one_and_nine(user: User) -> None:
    with pytest.raises(ImagesRequired):
        create(user, images=[])
    with pytest.raises(TooManyImages):
        create(user, images=[jpeg() for _ in range(rules.IMAGES_MAX + 1)])
    with pytest.raises(InvalidImage) as error:
        create(user, images=[SimpleUploadedFile("x.jpg", b"plain text")])
    assert error.value.code == "not_an_image"
    assert not Product.objects.exists() and not Shop.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * (rules.TITLE_MAX_LENGTH + 1)),
        ("description", "x" * (rules.DESCRIPTION_MAX_LENGTH + 1)),
        ("price", 0),
        ("price", rules.PRICE_MAX + 1),
        ("stock", -1),
        ("stock", rules.STOCK_MAX + 1),
        ("commission_bps", -1),
        ("commission_bps", rules.COMMISSION_BPS_MAX + 1),
    ],
)
def test_limits(user: User, field: str, value: object) -> None:
    with pytest.raises(ValidationFailed) as error:
        create(user, **{field: value})
    assert error.value.code == "invalid" and field in error.value.fields


def test_the_limits_themselves_are_accepted(user: User) -> None:
    product = create(
        user,
        title="x" * rules.TITLE_MAX_LENGTH,
        description="x" * rules.DESCRIPTION_MAX_LENGTH,
        price=rules.PRICE_MAX,
        stock=rules.STOCK_MAX,
        commission_bps=rules.COMMISSION_BPS_MAX,
    )
    assert fresh(product).price == rules.PRICE_MAX


def test_duplicate_variant_names_are_refused(user: User) -> None:
    with pytest.raises(ValidationFailed):
        create(user, variants=[("M", 1), ("M", 2)])


def test_only_the_seller_updates_and_partially(user: User, other_user: User) -> None:
    product = create(user)
    services.product_update(actor=user, product=product, price=4900, title=" Tote ")
    stored = fresh(product)
    assert (stored.price, stored.title, stored.stock) == (4900, "Tote", 12)
    with pytest.raises(NotTheSeller):
        services.product_update(actor=other_user, product=product, price=1)
    with pytest.raises(ValidationFailed):
        services.product_update(actor=user, product=product, stock=-5)
    assert fresh(product).price == 4900


def test_moderators_hide_and_restore(moderator: User, user: User) -> None:
    product = ProductFactory()
    with pytest.raises(PermissionDenied):
        services.product_hide(moderator=user, product=product, reason="spam")
    with pytest.raises(ValidationFailed):
        services.product_hide(moderator=moderator, product=product, reason="  ")
    assert services.product_hide(moderator=moderator, product=product, reason="Counterfeit")
    assert not services.product_hide(moderator=moderator, product=product, reason="again")
    stored = fresh(product)
    assert stored.is_hidden and stored.hidden_by == moderator
    assert stored.hidden_reason == "Counterfeit"
    assert services.product_restore(moderator=moderator, product=product)
    assert not fresh(product).is_hidden and fresh(product).hidden_reason == ""


def test_a_closed_shop_lists_and_changes_nothing(moderator: User) -> None:
    seller = UserFactory()
    product = create(seller)
    shop = product.shop
    assert services.shop_close(moderator=moderator, shop=shop, reason="Fraud reports")
    stored = fresh(shop)
    assert not stored.is_open and stored.closed_by == moderator and stored.closed_at
    with pytest.raises(ShopClosed):
        create(seller)
    with pytest.raises(ShopClosed):
        services.product_update(actor=seller, product=fresh(product), price=1)
    assert services.shop_reopen(moderator=moderator, shop=shop)
    assert fresh(shop).is_open
    create(seller, title="Back")


@pytest.mark.parametrize(
    "change",
    [
        {"stock": -1},
        {"price": 0},
        {"commission_bps": rules.COMMISSION_BPS_MAX + 1},
    ],
)
def test_the_database_refuses_what_the_rules_refuse(change: dict[str, int]) -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(**change)


def test_a_variant_never_goes_below_zero() -> None:
    variant = ProductVariantFactory(stock=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(variant).objects.filter(pk=variant.pk).update(stock=-1)
