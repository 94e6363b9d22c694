"""A product's photos after its creation (``services.product_images_update``):
its seller removes, reorders and adds photos from the edit page
(``POST /shop/products/{id}/photos``) or the API (``PUT
/api/v1/shop/products/{id}/images``), with the new product's limits (1–9,
validated by content, metadata stripped, renditions made). Nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from community.models import User
from shop import rules, services
from shop.errors import ImagesRequired, NotTheSeller, TooManyImages, ValidationFailed
from shop.models import Product
from tests.clients import api_client, assert_error, logged_in
from tests.factories import jpeg_bytes
from tests.images import SECRET_MARKERS, jpeg_with_comment_and_gps, plain_jpeg

pytestmark = pytest.mark.django_db


def jpeg(name: str = "p.jpg", color: tuple[int, int, int] = (200, 80, 60)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(320, 240, color), content_type="image/jpeg")


def listed(seller: User, photos: int = 3) -> Product:
    return services.product_create(
        seller=seller,
        title="Linen tote",
        price=5990,
        stock=3,
        images=[jpeg(f"{k}.jpg", (40 * k, 80, 60)) for k in range(photos)],
    )


def ids(product: Product) -> list[int]:
    return list(product.images.order_by("position").values_list("pk", flat=True))


# --- the service -----------------------------------------------------------------------------


def test_reorder_remove_and_add_in_one_change(
    user: User, django_capture_on_commit_callbacks: Any
) -> None:
    product = listed(user)
    a, b, c = ids(product)
    removed = product.images.get(pk=b)
    services.product_image_render(image_id=b)
    removed.refresh_from_db()
    files = [removed.image.name] + [n for f in removed.renditions.values() for n in f.values()]
    assert all(default_storage.exists(n) for n in files)
    with django_capture_on_commit_callbacks(execute=True):
        images = services.product_images_update(
            actor=user, product=product, keep=[c, a], add=[jpeg_with_comment_and_gps()]
        )
    assert [i.pk for i in images][:2] == [c, a] and len(images) == 3
    assert [i.position for i in images] == [0, 1, 2]
    # The removed photo's files are gone; the new one is cleaned and rendered.
    assert not any(default_storage.exists(n) for n in files)
    new = images[2]
    with default_storage.open(new.image.name or "") as stored:
        content = stored.read()
    assert not any(marker in content for marker in SECRET_MARKERS)
    new.refresh_from_db()
    assert new.renditions, "the render task ran on commit (eager Celery)"


def test_the_limits_are_the_new_products(user: User) -> None:
    product = listed(user, photos=2)
    a, b = ids(product)
    with pytest.raises(ImagesRequired):
        services.product_images_update(actor=user, product=product, keep=[])
    with pytest.raises(TooManyImages):
        services.product_images_update(
            actor=user, product=product, keep=[a, b], add=[jpeg() for _ in range(8)]
        )
    with pytest.raises(ValidationFailed):
        services.product_images_update(actor=user, product=product, keep=[a, a])
    assert ids(product) == [a, b]  # nothing changed


def test_another_products_image_cannot_be_kept(user: User, other_user: User) -> None:
    mine, theirs = listed(user, photos=1), listed(other_user, photos=1)
    with pytest.raises(ValidationFailed) as caught:
        services.product_images_update(actor=user, product=mine, keep=ids(theirs))
    assert "keep" in caught.value.fields
    assert theirs.images.count() == 1


def test_only_the_seller_changes_the_photos(user: User, other_user: User) -> None:
    product = listed(user, photos=2)
    with pytest.raises(NotTheSeller):
        services.product_images_update(actor=other_user, product=product, keep=ids(product)[:1])
    assert product.images.count() == 2


# --- the edit page ---------------------------------------------------------------------------


def test_the_edit_page_moves_removes_and_adds_photos(user: User) -> None:
    product = listed(user)
    a, b, c = ids(product)
    client = logged_in(user)
    page = client.get(f"/shop/products/{product.pk}/edit").content.decode()
    assert f'action="/shop/products/{product.pk}/photos"' in page
    assert "Move photo 2 earlier" in page and "Remove photo 3" in page
    url = f"/shop/products/{product.pk}/photos"
    response = client.post(url, {"photo": f"earlier:{b}"})
    assert response.status_code == 302 and response["Location"].endswith("/edit#photos")
    assert ids(product) == [b, a, c]
    client.post(url, {"photo": f"later:{b}"})
    assert ids(product) == [a, b, c]
    client.post(url, {"photo": f"remove:{c}"})
    assert ids(product) == [a, b]
    response = client.post(url, {"photo": "add", "images": [plain_jpeg((400, 300))]}, follow=True)
    assert "1 photo added." in response.content.decode()
    assert ids(product)[:2] == [a, b] and len(ids(product)) == 3


def test_the_edit_page_says_what_is_wrong(user: User) -> None:
    product = listed(user, photos=1)
    (only,) = ids(product)
    client = logged_in(user)
    url = f"/shop/products/{product.pk}/photos"
    response = client.post(url, {"photo": f"remove:{only}"}, follow=True)
    assert ImagesRequired.message in response.content.decode()
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(url, {"photo": "add", "images": [fake]}, follow=True)
    assert response.status_code == 200
    assert ids(product) == [only]
    # A bad action changes nothing and is not an error page.
    assert client.post(url, {"photo": "explode:1"}).status_code == 302
    assert ids(product) == [only]


def test_the_edit_page_limit_of_nine(user: User) -> None:
    product = listed(user, photos=rules.IMAGES_MAX)
    page = logged_in(user).get(f"/shop/products/{product.pk}/edit").content.decode()
    assert "Add photos" not in page  # full
    response = logged_in(user).post(
        f"/shop/products/{product.pk}/photos", {"photo": "add", "images": [jpeg()]}, follow=True
    )
    assert TooManyImages.message in response.content.decode()
    assert product.images.count() == rules.IMAGES_MAX


def test_another_member_cannot_change_the_photos(user: User, other_user: User) -> None:
    product = listed(user, photos=2)
    a, b = ids(product)
    other = logged_in(other_user)
    response = other.post(f"/shop/products/{product.pk}/photos", {"photo": f"remove:{a}"})
    assert response.status_code == 404
    assert ids(product) == [a, b]
    assert logged_in(other_user).get(f"/shop/products/{product.pk}/edit").status_code == 404
    # Signed out: to the login page.
    anonymous = APIClient().post(f"/shop/products/{product.pk}/photos", {"photo": f"remove:{a}"})
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert ids(product) == [a, b]


# --- the API ---------------------------------------------------------------------------------


def test_the_api_sets_the_photos(user: User) -> None:
    product = listed(user)
    a, b, c = ids(product)
    api = api_client(user)
    url = f"/api/v1/shop/products/{product.pk}/images"
    detail = api.get(f"/api/v1/shop/products/{product.pk}/").json()
    assert [i["id"] for i in detail["images"]] == [a, b, c]
    response = api.put(url, {"keep": [c, a]}, format="json")
    assert response.status_code == 200, response.content
    assert [i["id"] for i in response.json()["images"]] == [c, a]
    response = api.put(url, {"keep": [a], "images": [jpeg(), jpeg("b.jpg")]}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()["images"]
    assert body[0]["id"] == a and len(body) == 3
    # One multipart field holding the JSON list works too.
    response = api.put(url, {"keep": f"[{body[2]['id']}]"}, format="multipart")
    assert [i["id"] for i in response.json()["images"]] == [body[2]["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"keep": "x"}, "invalid"),
        ({"keep": [0]}, "invalid"),
        ({"keep": [2**70]}, "invalid"),
        ({"keep": []}, "images_required"),
        ({"keep": [999_999]}, "invalid"),
    ],
)
def test_the_api_refuses_bad_input(user: User, body: Any, code: str) -> None:
    product = listed(user, photos=1)
    response = api_client(user).put(
        f"/api/v1/shop/products/{product.pk}/images", body, format="json"
    )
    assert_error(response, 400, code)
    assert product.images.count() == 1


def test_the_api_too_many_and_others_product(user: User, other_user: User) -> None:
    product = listed(user, photos=rules.IMAGES_MAX)
    url = f"/api/v1/shop/products/{product.pk}/images"
    response = api_client(user).put(
        url, {"keep": ids(product), "images": [jpeg()]}, format="multipart"
    )
    assert_error(response, 400, "too_many_images")
    assert_error(
        api_client(other_user).put(url, {"keep": ids(product)[:1]}, format="json"),
        403,
        "not_the_seller",
    )
    assert_error(
        APIClient().put(url, {"keep": ids(product)[:1]}, format="json"), 401, "unauthenticated"
    )
    assert product.images.count() == rules.IMAGES_MAX
