"""HTML pages of the shop: browsing products, a seller's shop, the product
sheet, the seller's catalog (open a shop with a first product, edit, take
off sale), the cart (one checkout per shop), checkout, the buyer's orders
and the seller's orders to ship. Thin, as the community's views: parse, call one service or
selector, render; writes are POST-only and CSRF-protected; domain errors
become the error page or a toast (``core.views``).

The "new product" form also answers a script (``Accept: application/json``):
the page's script sends it with ``XMLHttpRequest`` to show the upload's
progress, and gets ``{"url"}`` (201) or ``{"error": {code, message,
fields}}`` (400) back, the API's shape, with the form's field names."""

from __future__ import annotations

import re
import uuid
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
from core.errors import DomainError, NotFound, PermissionDenied
from core.forms import add_domain_errors
from core.money import currency
from core.views import (
    cursor_of,
    flag,
    handles_domain_errors,
    is_htmx,
    member,
    member_required,
    page_or_more,
    page_size,
    safe_next,
)
from shop import rules, selectors, services
from shop.forms import (
    KEY_HELP,
    AddToCartForm,
    CancelForm,
    CheckoutForm,
    ProductCreateForm,
    ProductForm,
    QuantityForm,
    RefundForm,
    ShipForm,
    minor_digits,
    product_initial,
)
from wallet.errors import IdempotencyConflict

DISCOVER_STRIP_SIZE = 8
TAGGED_NOTES = 6


def _grid_response(
    request: HttpRequest, template: str, page: pagination.Page, context: dict[str, Any]
) -> HttpResponse:
    """A page with a product grid, or (htmx with a cursor) just its next cards."""
    context = {**context, "products": page.items, "next_cursor": page.next_cursor}
    return page_or_more(request, template, "shop/partials/product_page.html", context)


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
        if WHOLE.fullmatch(value):
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
    add_domain_errors(form, DomainError(exc.message, fields=fields, code=exc.code))


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


PHOTO_ACTION = re.compile(r"^(remove|earlier|later):(\d{1,18})$")


@require_POST
@member_required
@handles_domain_errors
def product_photos(request: HttpRequest, pk: int) -> HttpResponse:
    """The edit page's photos: remove one, move one earlier or later (the
    first is the cover), or add uploads after them (``images``), through
    ``services.product_images_update`` with the new product's limits. Its
    seller only (others: 404). Back to the edit page with what happened."""
    user = member(request)
    product = selectors.product_for_viewer(product_id=pk, viewer=user)
    if product.shop.owner_id != user.pk:
        return render(request, "404.html", {"message": "No such product."}, status=404)
    keep = list(product.images.order_by("position", "id").values_list("pk", flat=True))
    uploads = request.FILES.getlist("images")
    action = PHOTO_ACTION.match(request.POST.get("photo", ""))
    done = "Your photos are saved."
    if action is not None:
        verb, image_id = action[1], int(action[2])
        if image_id in keep:
            at = keep.index(image_id)
            if verb == "remove":
                keep.pop(at)
                done = "The photo is removed."
            elif verb == "earlier" and at > 0:
                keep[at - 1], keep[at] = keep[at], keep[at - 1]
                done = "The cover is changed." if at == 1 else "The photo moved earlier."
            elif verb == "later" and at < len(keep) - 1:
                keep[at + 1], keep[at] = keep[at], keep[at + 1]
                done = "The cover is changed." if at == 0 else "The photo moved later."
    elif uploads:
        done = f"{len(uploads)} photo{'s' if len(uploads) != 1 else ''} added."
    try:
        services.product_images_update(actor=user, product=product, keep=keep, add=uploads)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(reverse("product_edit", args=[product.pk]) + "#photos")


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


# --- cart -------------------------------------------------------------------------------


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next(request, fallback))


@require_POST
@member_required
@handles_domain_errors
def cart_add(request: HttpRequest) -> HttpResponse:
    """The sheet's "Add to cart" (back to the product, with a link to the
    cart) and "Buy now" (straight to that line's checkout)."""
    user = member(request)
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how many (1 to 99) and try again.")
        return _back(request, reverse("shop_browse"))
    data = form.cleaned_data
    product_url = reverse("product", args=[data["product"]])
    try:
        item = services.cart_item_add(
            user=user,
            product_id=data["product"],
            variant_id=data.get("variant"),
            quantity=data["quantity"],
            source=form.source(),
        )
    except NotFound:
        raise
    except DomainError as exc:
        message = exc.message
        if exc.code == "product_unavailable" and not data.get("variant"):
            message = "Choose a size or colour first."
        messages.error(request, message)
        return _back(request, product_url)
    if data["buy_now"]:
        target = reverse("checkout", args=[item.product.shop_id])
        return redirect(f"{target}?items={item.pk}")
    messages.success(request, f"“{item.product.title}” is in your cart.")
    return _back(request, product_url)


@require_GET
@member_required
@handles_domain_errors
def cart(request: HttpRequest) -> HttpResponse:
    """The member's cart, grouped by shop: one checkout per shop."""
    user = member(request)
    groups = selectors.cart_by_shop(user)
    for group in groups:
        _with_line_totals(group.items)
    return render(
        request,
        "shop/cart.html",
        {
            "groups": groups,
            "count": sum(item.quantity for group in groups for item in group.items),
            "max_quantity": rules.CART_QUANTITY_MAX,
        },
    )


@require_POST
@member_required
@handles_domain_errors
def cart_item_quantity(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, f"A quantity is a whole number from 1 to {rules.CART_QUANTITY_MAX}."
        )
        return redirect("cart")
    services.cart_item_set_quantity(user=user, item_id=pk, quantity=form.cleaned_data["quantity"])
    return redirect("cart")


@require_POST
@member_required
@handles_domain_errors
def cart_item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    services.cart_item_remove(user=user, item_id=pk)
    messages.success(request, "Removed from your cart.")
    return redirect("cart")


def _with_line_totals(items: list[Any]) -> list[int]:
    """Each cart line's ``line_total`` (its price now × its quantity), for
    the templates; the totals, in order."""
    for item in items:
        item.line_total = item.product.price * item.quantity
    return [item.line_total for item in items]


# --- checkout ------------------------------------------------------------------------------


def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


WHOLE = re.compile(r"[0-9]{1,18}")


def _item_ids(raw: str) -> list[int] | None:
    """``?items=3,5``: ids of cart lines (None when absent or malformed)."""
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids or len(ids) > rules.CART_LINES_MAX or not all(WHOLE.fullmatch(p) for p in ids):
        return None
    return sorted({int(p) for p in ids})


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def checkout(request: HttpRequest, shop_id: int) -> HttpResponse:
    """One shop's lines of the cart (or only ``items``: "Buy now") into a
    paid order: where to ship, the total, one tap to pay."""
    user = member(request)
    group = next((g for g in selectors.cart_by_shop(user) if g.shop_id == shop_id), None)
    wanted = _item_ids(request.POST.get("items") or request.GET.get("items") or "")
    items = list(group.items) if group else []
    if wanted is not None:
        items = [item for item in items if item.pk in wanted]
    if not items:
        if request.method == "POST" and wanted:
            # The form sent again after its order took the lines out of the
            # cart (a double tap, a reload): the same key answers the same order.
            replay = _checkout_replay(request, user, wanted)
            if replay is not None:
                return replay
        messages.info(request, "Nothing from this shop is in your cart any more.")
        return redirect("cart")
    if request.method == "POST":
        form = CheckoutForm(request.POST)
    else:
        form = CheckoutForm(
            initial={
                **selectors.shipping_last_used(user),
                "idempotency_key": new_idempotency_key(),
            }
        )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                order = services.checkout(
                    user=user,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    items=[item.pk for item in items],
                    shipping=form.shipping(),
                )
            except IdempotencyConflict:
                form = _fresh_checkout_form(request)
                form.add_error(None, KEY_HELP)
            except DomainError as exc:
                fields = {k.removeprefix("shipping."): v for k, v in exc.fields.items()}
                if exc.code == "insufficient_stock":
                    fields = {}
                add_domain_errors(form, DomainError(exc.message, fields=fields, code=exc.code))
                status = exc.status
            else:
                return _placed(request, order)
    total = sum(_with_line_totals(items))
    return render(
        request,
        "shop/checkout.html",
        {
            "form": form,
            "group": group,
            "items": items,
            "item_ids": ",".join(str(item.pk) for item in items),
            "total": total,
        },
        status=status,
    )


def _placed(request: HttpRequest, order: dict[str, Any]) -> HttpResponse:
    if order["status"] == "cancelled":
        messages.error(request, "The payment was refused: nothing was charged.")
    elif order["replayed"]:
        messages.info(request, "This order was already placed, once.")
    else:
        messages.success(request, "Thank you! Your order is placed.")
    return redirect("order", order["id"])


def _checkout_replay(request: HttpRequest, user: Any, wanted: list[int]) -> HttpResponse | None:
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        return None
    try:
        order = services.checkout(
            user=user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            items=wanted,
            shipping=form.shipping(),
        )
    except DomainError:
        return None
    return _placed(request, order)


def _fresh_checkout_form(request: HttpRequest) -> CheckoutForm:
    data = request.POST.copy()
    data["idempotency_key"] = new_idempotency_key()
    form = CheckoutForm(data)
    form.is_valid()
    return form


# --- orders ----------------------------------------------------------------------------------

BUYER_TABS = [
    ("", "All"),
    ("pending", "Awaiting payment"),
    ("paid", "Paid"),
    ("shipped", "On the way"),
    ("delivered", "Delivered"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
]
SELLER_TABS = [
    ("paid", "To ship"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("pending", "Awaiting payment"),
    ("refunded", "Refunded"),
    ("cancelled", "Cancelled"),
    ("all", "All"),
]


def _orders_page(
    request: HttpRequest, *, as_seller: bool, errors: dict[int, dict[str, Any]] | None = None
) -> HttpResponse:
    user = member(request)
    tabs = SELLER_TABS if as_seller else BUYER_TABS
    status = request.GET.get("status", "paid" if as_seller else "")
    if status not in {key for key, _ in tabs}:
        status = tabs[0][0]
    orders = selectors.order_list(
        viewer=user, as_seller=as_seller, status=None if status in ("", "all") else status
    )
    page = selectors.order_page(orders, cursor=cursor_of(request), size=page_size())
    context = {
        "orders": page.items,
        "next_cursor": page.next_cursor,
        "tabs": tabs,
        "status": status,
        "as_seller": as_seller,
        "errors": errors or {},
        "shop": selectors.shop_of(user) if as_seller else None,
    }
    if is_htmx(request) and cursor_of(request):
        response = render(request, "shop/partials/order_rows.html", context)
    else:
        response = render(request, "shop/orders.html", context, status=400 if errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required
@handles_domain_errors
def orders(request: HttpRequest) -> HttpResponse:
    """The buyer's order history."""
    return _orders_page(request, as_seller=False)


@require_GET
@member_required
@handles_domain_errors
def sales(request: HttpRequest) -> HttpResponse:
    """The seller's orders, "to ship" first."""
    return _orders_page(request, as_seller=True)


def _order_page(
    request: HttpRequest, order: Any, *, forms_: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = member(request)
    is_buyer = order.buyer_id == user.pk
    is_seller = order.shop.owner_id == user.pk
    return render(
        request,
        "shop/order.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "is_buyer": is_buyer,
            "is_seller": is_seller,
            "ship_form": (forms_ or {}).get("ship") or ShipForm(auto_id="ship_%s"),
            "refund_form": (forms_ or {}).get("refund") or RefundForm(auto_id="refund_%s"),
            "refund_open": bool((forms_ or {}).get("refund")),
        },
        status=status,
    )


@require_GET
@member_required
@handles_domain_errors
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    return _order_page(request, selectors.order_for_viewer(order_id=pk, viewer=user))


def _transition(request: HttpRequest, pk: int, act: Any, done: str) -> HttpResponse:
    """Run one of the order's transitions; a refused one (``order_not_...``)
    is a message on the page it came from, not an error page."""
    user = member(request)
    order = selectors.order_for_viewer(order_id=pk, viewer=user)
    try:
        act(user, order)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(request, reverse("order", args=[order.pk]))


@require_POST
@member_required
@handles_domain_errors
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _transition(
        request,
        pk,
        lambda user, order: services.order_cancel(buyer=user, order=order, reason=reason),
        "Your order is cancelled; anything paid is refunded.",
    )


@require_POST
@member_required
@handles_domain_errors
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        lambda user, order: services.order_deliver(buyer=user, order=order),
        "Thanks for confirming: enjoy it!",
    )


@require_POST
@member_required
@handles_domain_errors
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """The seller ships with a tracking number; a bad one is shown next to
    the field of the page the form was on (the orders list or the order)."""
    user = member(request)
    form = ShipForm(request.POST, auto_id="ship_%s")
    if not form.is_valid():
        order = selectors.order_for_viewer(order_id=pk, viewer=user)
        if request.POST.get("from") == "list":
            return _orders_page(request, as_seller=True, errors={order.pk: form.errors})
        return _order_page(request, order, forms_={"ship": form}, status=400)
    tracking = form.cleaned_data["tracking"].strip()
    return _transition(
        request,
        pk,
        lambda user, order: services.order_ship(seller=user, order=order, tracking=tracking),
        f"Marked as shipped, tracking {tracking}.",
    )


@require_POST
@member_required
@handles_domain_errors
def order_refund(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    form = RefundForm(request.POST, auto_id="refund_%s")
    if not form.is_valid() or not form.cleaned_data["reason"].strip():
        if form.is_valid():
            form.add_error("reason", "Say why: the buyer sees it.")
        order = selectors.order_for_viewer(order_id=pk, viewer=user)
        return _order_page(request, order, forms_={"refund": form}, status=400)
    reason = form.cleaned_data["reason"]
    return _transition(
        request,
        pk,
        lambda user, order: services.order_refund(actor=user, order=order, reason=reason),
        "Refunded: the buyer gets the money back.",
    )
