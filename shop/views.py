"""HTML pages of the shop: browsing products, a seller's shop, the product
sheet, and the seller's catalog (open a shop with a first product, edit,
take off sale). Thin, as the community's views: parse, call one service or
selector, render; writes are POST-only and CSRF-protected; domain errors
become the error page or a toast (``core.views``).

The "new product" form also answers a script (``Accept: application/json``):
the page's script sends it with ``XMLHttpRequest`` to show the upload's
progress, and gets ``{"url"}`` (201) or ``{"error": {code, message,
fields}}`` (400) back, the API's shape, with the form's field names."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import badges
from community.extensions import DiscoverStrip
from core import pagination
from core.errors import DomainError
from core.forms import add_domain_errors
from core.money import currency
from core.views import (
    cursor_of,
    flag,
    handles_domain_errors,
    is_htmx,
    member,
    member_required,
    page_size,
    safe_next,
)
from shop import rules, selectors, services
from shop.forms import ProductCreateForm, ProductForm, minor_digits, product_initial

DISCOVER_STRIP_SIZE = 8
TAGGED_NOTES = 6


def _grid_response(
    request: HttpRequest, template: str, page: pagination.Page, context: dict[str, Any]
) -> HttpResponse:
    """A page with a product grid, or (htmx with a cursor) just its next cards."""
    context = {**context, "products": page.items, "next_cursor": page.next_cursor}
    if is_htmx(request) and cursor_of(request):
        response = render(request, "shop/partials/product_page.html", context)
    else:
        response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- browsing ----------------------------------------------------------------------


@require_GET
@handles_domain_errors
def browse(request: HttpRequest) -> HttpResponse:
    """Every listed product, newest first (the shop's discover)."""
    q = (request.GET.get("q") or "").strip()[: selectors.Q_MAX_LENGTH]
    products = selectors.product_list(viewer=request.user, q=q or None)
    page = selectors.product_page(products, cursor=cursor_of(request), size=page_size())
    return _grid_response(
        request,
        "shop/browse.html",
        page,
        {"query": q, "own_shop": selectors.shop_of(request.user)},
    )


@require_GET
@handles_domain_errors
def shop_detail(request: HttpRequest, username: str) -> HttpResponse:
    found = selectors.shop_page(
        username=username, viewer=request.user, cursor=cursor_of(request), size=page_size()
    )
    badges.attach([found.shop.owner])
    return _grid_response(
        request,
        "shop/shop.html",
        found.products,
        {
            "shop": found.shop,
            "product_count": found.product_count,
            "is_owner": request.user.pk == found.shop.owner_id,
        },
    )


@require_GET
@handles_domain_errors
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_for_viewer(product_id=pk, viewer=request.user)
    images = list(product.images.all())
    variants = list(product.variants.all())
    badges.attach([product.shop.owner])
    notes = selectors.product_notes(product=product, viewer=request.user, limit=TAGGED_NOTES)
    source = _source_of(request)
    return render(
        request,
        "shop/product.html",
        {
            "product": product,
            "images": images,
            "variants": variants,
            "first_variant": next((v for v in variants if v.stock > 0), None),
            "is_seller": request.user.pk == product.shop.owner_id,
            "is_moderator": selectors.is_shop_moderator(request.user),
            "notes": notes,
            "source": source,
            "max_quantity": 99,
        },
    )


def _source_of(request: HttpRequest) -> dict[str, int]:
    """Where the buyer came from (``?note=`` / ``?session=``), carried by the
    sheet's buttons into the cart line (attribution)."""
    for name, key in (("note", "source_note"), ("session", "source_session")):
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 19:
            return {key: int(value)}
    return {}


def discover_strip(request: HttpRequest) -> DiscoverStrip | None:
    """The discover page's "Shop" band: the newest products on sale, in one
    query (the cover image comes in the same SELECT)."""
    products = selectors.product_strip(limit=DISCOVER_STRIP_SIZE)
    if not products:
        return None
    return DiscoverStrip(
        name="shop",
        template="shop/partials/discover_strip.html",
        context={"products": products},
        stylesheets=("css/shop.css",),
    )


# --- the seller's catalog ------------------------------------------------------------


@require_GET
@member_required
@handles_domain_errors
def seller_products(request: HttpRequest) -> HttpResponse:
    """The seller's products with their stock, hidden ones too; before the
    first product, the invitation to open a shop."""
    user = member(request)
    page = selectors.product_page(
        selectors.seller_products(seller=user), cursor=cursor_of(request), size=page_size()
    )
    context = {
        "shop": selectors.shop_of(user),
        "products": page.items,
        "next_cursor": page.next_cursor,
    }
    if is_htmx(request) and cursor_of(request):
        return render(request, "shop/partials/seller_rows.html", context)
    return render(request, "shop/seller_products.html", context)


def _form_context(form: ProductForm, **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "currency": currency(),
        "price_step": "1" if minor_digits() == 0 else "0.01",
        "max_images": rules.IMAGES_MAX,
        "max_variants": rules.VARIANTS_MAX,
        "variant_name_max": rules.VARIANT_NAME_MAX_LENGTH,
        **extra,
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _json_errors(form: ProductForm, exc: DomainError | None = None) -> JsonResponse:
    fields: dict[str, list[str]] = {}
    for name, errors in form.errors.items():
        key = "form" if name == "__all__" else name
        if key == "form" and form.variant_errors:
            key = "variants"
        fields.setdefault(key, []).extend(str(e) for e in errors)
    code = exc.code if exc is not None else "invalid"
    message = exc.message if exc is not None else "Some fields need your attention."
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields}},
        status=exc.status if exc is not None else 400,
    )


def _domain_to_form(form: ProductForm, exc: DomainError) -> None:
    """A service's field errors next to the form's fields (``commission_bps``
    is the form's ``commission``; ``variants`` errors show on the variants)."""
    fields = dict(exc.fields)
    if "commission_bps" in fields:
        fields["commission"] = fields.pop("commission_bps")
    if "variants" in fields:
        form.add_variants_error(fields.pop("variants"))
        if not fields:
            form.add_error(None, " ".join(form.variant_errors))
            return
    add_domain_errors(form, type(exc)(exc.message, fields=fields, code=exc.code))


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def product_new(request: HttpRequest) -> HttpResponse:
    """List a product; the first one opens the member's shop."""
    user = member(request)
    shop = selectors.shop_of(user)
    form = ProductCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                product = services.product_create(
                    seller=user,
                    title=data["title"],
                    description=data["description"],
                    price=data["price"],
                    stock=data["stock"] or 0,
                    commission_bps=data["commission_bps"],
                    open_to_affiliates=data["open_to_affiliates"],
                    images=data["images"],
                    variants=form.variants,
                )
            except DomainError as exc:
                if _wants_json(request):
                    _domain_to_form(form, exc)
                    return _json_errors(form, exc)
                _domain_to_form(form, exc)
            else:
                first = shop is None
                messages.success(
                    request,
                    "Your shop is open with its first product."
                    if first
                    else "Your product is listed.",
                )
                if _wants_json(request):
                    return JsonResponse(
                        {"id": product.pk, "url": product.get_absolute_url()}, status=201
                    )
                return redirect(product)
        elif _wants_json(request):
            return _json_errors(form)
    return render(
        request,
        "shop/product_form.html",
        _form_context(form, creating=True, opening=shop is None, shop=shop),
        status=400 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    product = selectors.product_for_viewer(product_id=pk, viewer=user)
    if product.shop.owner_id != user.pk:
        # Another member's product: as if it did not exist for editing.
        return render(request, "404.html", {"message": "No such product."}, status=404)
    variants = list(product.variants.all())
    form = ProductForm(request.POST or None, initial=product_initial(product), variants=variants)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.product_update(
                actor=user,
                product=product,
                title=data["title"],
                description=data["description"],
                price=data["price"],
                stock=None if form.variants else data["stock"],
                commission_bps=data["commission_bps"],
                open_to_affiliates=data["open_to_affiliates"],
                variants=form.variants,
            )
        except DomainError as exc:
            _domain_to_form(form, exc)
        else:
            messages.success(request, "Your product is saved.")
            return redirect(product)
    return render(
        request,
        "shop/product_form.html",
        _form_context(form, creating=False, product=product, images=list(product.images.all())),
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@member_required
@handles_domain_errors
def product_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    """The seller takes a product off sale (``hidden=1``) or back on."""
    user = member(request)
    product = selectors.product_for_viewer(product_id=pk, viewer=user)
    hidden = flag(request, "hidden")
    services.product_set_hidden(actor=user, product=product, hidden=hidden)
    messages.success(
        request,
        f"“{product.title}” is off sale: only you can see it."
        if hidden
        else f"“{product.title}” is on sale again.",
    )
    return redirect(safe_next(request, reverse("seller_products")))


@require_GET
@member_required
def my_shop(request: HttpRequest) -> HttpResponse:
    """The account menu's "My shop": the seller's catalog (or the invitation
    to open one)."""
    return redirect("seller_products")
