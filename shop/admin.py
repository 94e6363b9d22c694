"""Moderators' admin of the shop: shops and products, with hide / restore
and close / reopen as actions that ask for a reason and call the services
(``shop.moderate_shop``); orders (read-only, filtered by status, searched
by id, buyer or shop) with refunds that ask for a reason
(``shop.refund_order``); flash sales (read-only, filtered by state, with a
cancel action)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from community.models import User
from core.admin import ReadOnlyAdminMixin, ask_reason
from core.errors import DomainError
from core.money import format_money
from shop import rules, services
from shop.models import FlashSale, Order, OrderLine, Product, ProductImage, ProductVariant, Shop
from shop.selectors import (
    FLASH_SALE_STATES,
    flash_sale_state,
    flash_sale_state_filter,
    is_shop_moderator,
)


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin site only lets members in
    return user


def _apply(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: list[Any],
    call: Callable[[User, Any], bool],
    *,
    done: tuple[str, str],
    log: str,
) -> None:
    """``call`` each row; log and count the rows it changed."""
    user = _acting_user(request)
    changed: list[Any] = []
    for row in rows:
        try:
            if call(user, row):
                changed.append(row)
        except DomainError as exc:
            modeladmin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
            return
    if changed:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=changed, action_flag=CHANGE, change_message=log
        )
    count = len(changed)
    message = ngettext(done[0], done[1], count) % count
    if count < len(rows):
        message += f" {len(rows) - count} of the {len(rows)} selected needed no change."
    modeladmin.message_user(request, message, messages.SUCCESS if count else messages.WARNING)


def _with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    call: Callable[[User, Any, str], bool],
    *,
    action_name: str,
    submit_label: str,
    intro: str,
    done: tuple[str, str],
) -> HttpResponse | None:
    """Ask for the reason on an intermediate page (``core.admin.ask_reason``),
    then ``call`` each row."""
    asked = ask_reason(
        modeladmin,
        request,
        queryset,
        action_name=action_name,
        submit_label=submit_label,
        intro=intro,
        max_length=rules.REASON_MAX_LENGTH,
        help_text="Kept with the row; the seller is told why.",
    )
    if not isinstance(asked, str):
        return asked
    rows = list(queryset.model._default_manager.filter(pk__in=queryset.values("pk")))
    _apply(
        modeladmin,
        request,
        rows,
        lambda user, row: call(user, row, asked),
        done=done,
        log=f"{submit_label}: {asked}",
    )
    return None


class ShopModerationAdmin(admin.ModelAdmin):
    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return is_shop_moderator(request.user)


@admin.register(Shop)
class ShopAdmin(ShopModerationAdmin):
    list_display = ("name", "owner", "is_open", "created_at", "closed_by", "closed_at")
    list_filter = ("is_open", "created_at")
    list_select_related = ("owner", "closed_by")
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("owner", "is_open", "closed_by", "closed_at", "close_reason", "created_at")
    actions = ("close_shops", "reopen_shops")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a shop opens with its first product (shop.services)

    @admin.action(description="Close selected shops…", permissions=["moderate"])
    def close_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> HttpResponse | None:
        return _with_reason(
            self,
            request,
            queryset,
            lambda user, shop, reason: services.shop_close(
                moderator=user, shop=shop, reason=reason
            ),
            action_name="close_shops",
            submit_label="Close shops",
            intro="Close these shops? Their products leave every list until reopened.",
            done=("%d shop closed.", "%d shops closed."),
        )

    @admin.action(description="Reopen selected shops", permissions=["moderate"])
    def reopen_shops(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        _apply(
            self,
            request,
            list(Shop.objects.filter(pk__in=queryset.values("pk"))),
            lambda user, shop: services.shop_reopen(moderator=user, shop=shop),
            done=("%d shop reopened.", "%d shops reopened."),
            log="Reopened",
        )


class ProductImageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProductImage
    fields = ("position", "image", "width", "height")
    readonly_fields = fields
    extra = 0


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    fields = ("name", "stock")
    extra = 0


@admin.register(Product)
class ProductAdmin(ShopModerationAdmin):
    list_display = ("title", "shop", "price_text", "stock", "is_hidden", "created_at")
    list_filter = ("is_hidden", "open_to_affiliates", "shop__is_open", "created_at")
    list_select_related = ("shop",)
    search_fields = ("title", "description", "shop__name", "shop__owner__username")
    readonly_fields = (
        "shop",
        "is_hidden",
        "hidden_by",
        "hidden_reason",
        "created_at",
        "updated_at",
    )
    inlines = (ProductImageInline, ProductVariantInline)
    actions = ("hide_products", "restore_products")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sellers list products (1–9 images) through shop.services

    @admin.display(description="Price", ordering="price")
    def price_text(self, obj: Product) -> str:
        return format_money(obj.price)

    @admin.action(description="Hide selected products…", permissions=["moderate"])
    def hide_products(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> HttpResponse | None:
        return _with_reason(
            self,
            request,
            queryset,
            lambda user, product, reason: services.product_hide(
                moderator=user, product=product, reason=reason
            ),
            action_name="hide_products",
            submit_label="Hide products",
            intro="Hide these products? Only their sellers and moderators will see them.",
            done=("%d product hidden.", "%d products hidden."),
        )

    @admin.action(description="Restore selected products", permissions=["moderate"])
    def restore_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        _apply(
            self,
            request,
            list(Product.objects.filter(pk__in=queryset.values("pk"))),
            lambda user, product: services.product_restore(moderator=user, product=product),
            done=("%d product restored.", "%d products restored."),
            log="Restored",
        )


class FlashSaleStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(state, state.replace("_", " ")) for state in FLASH_SALE_STATES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in FLASH_SALE_STATES:
            return queryset.filter(flash_sale_state_filter(value))
        return queryset


def _flash_sale_cancel(user: User, sale: FlashSale) -> bool:
    if flash_sale_state(sale) == "ended":
        return False
    services.flash_sale_cancel(actor=user, sale=sale)
    return True


@admin.register(FlashSale)
class FlashSaleAdmin(ReadOnlyAdminMixin, ShopModerationAdmin):
    """Flash sales as sellers made them (through the API): looked at,
    filtered by state, cancelled; never edited here (the gate in front of
    ``remaining`` would not know)."""

    list_display = (
        "id",
        "product",
        "price_text",
        "quantity",
        "remaining",
        "state",
        "starts_at",
        "ends_at",
        "cancelled_at",
    )
    list_filter = (FlashSaleStateFilter, "starts_at")
    list_select_related = ("product__shop",)
    search_fields = ("product__title", "product__shop__name", "product__shop__owner__username")
    raw_id_fields = ("product", "variant", "created_by")
    actions = ("cancel_flash_sales",)

    @admin.display(description="Price", ordering="price")
    def price_text(self, obj: FlashSale) -> str:
        return format_money(obj.price)

    @admin.display(description="State")
    def state(self, obj: FlashSale) -> str:
        return flash_sale_state(obj).replace("_", " ")

    @admin.action(description="Cancel selected flash sales", permissions=["moderate"])
    def cancel_flash_sales(self, request: HttpRequest, queryset: QuerySet[FlashSale]) -> None:
        _apply(
            self,
            request,
            list(
                FlashSale.objects.filter(pk__in=queryset.values("pk")).select_related(
                    "product__shop"
                )
            ),
            _flash_sale_cancel,
            done=("%d flash sale cancelled.", "%d flash sales cancelled."),
            log="Cancelled",
        )


# --- orders -------------------------------------------------------------------------------


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    fields = (
        "product",
        "variant",
        "title",
        "unit_price",
        "quantity",
        "line_total",
        "source_note",
        "source_session",
        "affiliate",
        "commission",
    )
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders as checkout and their transitions left them: nothing here is
    edited by hand (the ledger holds their money); refunds go through
    ``shop.services.order_refund``."""

    list_display = ("id", "buyer", "shop", "status", "total_text", "created_at", "paid_at")
    list_filter = ("status", "created_at")
    list_select_related = ("buyer", "shop")
    search_fields = ("=id", "buyer__username", "shop__name", "shop__owner__username")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    fields = (
        "buyer",
        "shop",
        "status",
        "flash_sale",
        "currency",
        "subtotal",
        "total",
        "platform_fee",
        "commission",
        "seller_amount",
        "ship_name",
        "ship_phone",
        "ship_address",
        "tracking",
        "payment",
        "payment_entry",
        "release_entry",
        "refund_entry",
        "cancel_reason",
        "refund_reason",
        "stock_released",
        "reserved_until",
        "created_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "refunded_at",
    )
    readonly_fields = fields
    inlines = (OrderLineInline,)
    actions = ("refund_orders",)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("shop.refund_order"))

    @admin.display(description="Total", ordering="total")
    def total_text(self, obj: Order) -> str:
        return format_money(obj.total, obj.currency)

    @admin.action(description="Refund selected orders…", permissions=["refund"])
    def refund_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        def refund(user: User, order: Order, reason: str) -> bool:
            services.order_refund(actor=user, order=order.pk, reason=reason)
            return True

        return _with_reason(
            self,
            request,
            queryset,
            refund,
            action_name="refund_orders",
            submit_label="Refund orders",
            intro="Refund these orders? Every amount booked for them is reversed: the buyer "
            "gets the money back, the seller and the affiliate lose their shares.",
            done=("%d order refunded.", "%d orders refunded."),
        )
