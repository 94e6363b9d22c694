"""The wallet's Django admin.

The ledger (accounts, entries with their lines, lines) and payments are
read-only here: only ``wallet.services.ledger`` writes them, and
``manage.py reconcile_ledger`` proves them. Moderators may view them (see
migration 0002). Changelists join or annotate what their columns show, so a
page costs the same queries whatever its length. The gift catalog and the
payouts follow.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from core.money import format_money
from wallet import selectors, services
from wallet.models import (
    Account,
    Entry,
    Gift,
    GiftSend,
    Line,
    Payment,
    Payout,
    PayoutRun,
    ReconcileRun,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rows only the site writes: shown, never added, changed or deleted."""

    show_full_result_count = False


def _entry_link(entry_id: int | None) -> SafeString | str:
    if entry_id is None:
        return "—"
    url = reverse("admin:wallet_entry_change", args=[entry_id])
    return format_html('<a href="{}">#{}</a>', url, entry_id)


# --- the ledger ----------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """Balances: the stored (rolled-up) one and the appended lines not yet
    folded in; their sum is the account's balance."""

    list_display = ("id", "kind", "owner", "balance", "pending", "created_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__username", "owner_key", "=id")
    fields = ("kind", "user", "owner_key", "balance", "pending", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        pending = (
            Line.objects.filter(account=OuterRef("pk"), rolled_up=False)
            .order_by()
            .values("account")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super().get_queryset(request).annotate(_pending=Coalesce(Subquery(pending), Value(0)))
        )

    @admin.display(description="Owner")
    def owner(self, account: Account) -> str:
        if account.user is not None:
            return f"@{account.user.username}"
        return account.owner_key or "platform"

    @admin.display(description="Appended, not rolled up")
    def pending(self, account: Account) -> int:
        return int(getattr(account, "_pending", 0))


class LineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Line
    fields = ("account", "amount", "rolled_up", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Line]:
        return super().get_queryset(request).select_related("account", "account__user")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Every movement of value with its lines (which sum to zero)."""

    list_display = ("id", "created_at", "kind", "memo", "line_count")
    list_filter = ("kind",)
    search_fields = ("=id", "memo")
    date_hierarchy = "created_at"
    fields = ("kind", "memo", "reference", "created_at")
    readonly_fields = fields
    inlines = (LineInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entry]:
        return super().get_queryset(request).annotate(_lines=Count("lines"))

    @admin.display(description="Lines")
    def line_count(self, entry: Entry) -> int:
        return int(getattr(entry, "_lines", 0))


@admin.register(Line)
class LineAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "entry_link",
        "entry_kind",
        "account",
        "amount",
        "rolled_up",
    )
    list_filter = ("rolled_up", "account__kind", "entry__kind")
    list_select_related = ("entry", "account", "account__user")
    search_fields = ("=entry__id", "=account__id", "account__user__username")
    fields = ("entry", "account", "amount", "rolled_up", "created_at")
    readonly_fields = fields

    @admin.display(description="Entry")
    def entry_link(self, line: Line) -> SafeString | str:
        return _entry_link(line.entry_id)

    @admin.display(description="Kind")
    def entry_kind(self, line: Line) -> str:
        return line.entry.get_kind_display()


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Recharges through the payment providers (completed by their callbacks)."""

    list_display = (
        "id",
        "created_at",
        "user",
        "provider",
        "provider_ref",
        "coins",
        "amount",
        "currency",
        "status",
        "entry_link",
    )
    list_filter = ("status", "provider")
    list_select_related = ("user",)
    search_fields = ("user__username", "=provider_ref", "=id")
    date_hierarchy = "created_at"
    fields = (
        "user",
        "provider",
        "provider_ref",
        "coins",
        "amount",
        "currency",
        "status",
        "entry",
        "created_at",
        "completed_at",
    )
    readonly_fields = fields

    @admin.display(description="Entry")
    def entry_link(self, payment: Payment) -> SafeString | str:
        return _entry_link(payment.entry_id)


# --- gifts (wallet.services.gifts) ---------------------------------------------------------------


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    """The gift catalog. A gift that was sent cannot be deleted (the ledger's
    history points at it): take it off sale with "active" instead."""

    list_display = (
        "preview",
        "name",
        "slug",
        "coins",
        "animation_tier",
        "is_active",
        "position",
    )
    list_display_links = ("preview", "name")
    list_editable = ("is_active", "position")
    list_filter = ("is_active", "animation_tier")
    search_fields = ("name", "slug")
    ordering = ("position", "coins", "id")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "coins", "animation_tier", "image", "emoji", "is_active", "position")
    actions = ("put_on_sale", "take_off_sale")

    @admin.display(description="")
    def preview(self, gift: Gift) -> SafeString | str:
        if gift.image:
            return format_html('<img src="{}" alt="" width="32" height="32">', gift.image.url)
        return gift.emoji or "—"

    @admin.action(description="Put the selected gifts on sale", permissions=["change"])
    def put_on_sale(self, request: HttpRequest, queryset: QuerySet[Gift]) -> None:
        changed = queryset.update(is_active=True)
        self.message_user(request, f"{changed} gift(s) on sale.", messages.SUCCESS)

    @admin.action(description="Take the selected gifts off sale", permissions=["change"])
    def take_off_sale(self, request: HttpRequest, queryset: QuerySet[Gift]) -> None:
        changed = queryset.update(is_active=False)
        self.message_user(request, f"{changed} gift(s) off sale.", messages.SUCCESS)


@admin.register(GiftSend)
class GiftSendAdmin(admin.ModelAdmin):
    """Every gift sent, read-only: the ledger's entries are the money; this is
    who gave what to whom, where."""

    list_display = (
        "id",
        "created_at",
        "sender",
        "host",
        "gift",
        "quantity",
        "coins",
        "room_id",
        "session_id",
        "entry_id",
    )
    list_select_related = ("sender", "host", "gift")
    list_filter = ("gift",)
    search_fields = ("sender__username", "host__username", "=room_id", "=session_id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "sender",
        "host",
        "gift",
        "quantity",
        "coins",
        "room_id",
        "session_id",
        "entry",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- payouts (wallet.services.payouts) ------------------------------------------------------------


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    """Each run of the payout schedule or of ``manage.py run_payouts``."""

    list_display = ("period_end", "started_at", "finished_at", "payout_count")
    date_hierarchy = "period_end"
    fields = ("period_end", "started_at", "finished_at", "holder", "heartbeat_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRun]:
        return super().get_queryset(request).annotate(_payouts=Count("payouts"))

    @admin.display(description="Payouts")
    def payout_count(self, run: PayoutRun) -> int:
        return int(getattr(run, "_payouts", 0))


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyAdmin):
    """Each run of ``manage.py reconcile_ledger`` or of its daily beat task."""

    list_display = ("finished_at", "ok", "discrepancies", "entries", "seconds")
    list_filter = ("ok",)
    date_hierarchy = "finished_at"
    fields = ("finished_at", "ok", "discrepancies", "first_discrepancy", "entries", "seconds")
    readonly_fields = fields


class PayoutRejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=200,
        help_text="Kept on the payout; the creator sees it in their studio.",
        error_messages={"required": "Say why the payout is rejected."},
    )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Payouts waiting for approval (and the reviewed ones). Approving or
    rejecting (which reverses the entry: the coins go back to the creator's
    earnings) needs ``wallet.review_payout``; nobody reviews their own."""

    list_display = (
        "id",
        "creator",
        "period_end",
        "coins",
        "gross_amount",
        "agency_name",
        "agency_part",
        "net_amount",
        "commission_amount",
        "status",
        "reviewed_by",
        "entry_link",
    )
    list_filter = ("status", "run__period_end", "agency_name")
    list_select_related = ("creator", "run", "reviewed_by")
    search_fields = ("creator__username", "agency_name", "=id")
    actions = ("approve", "reject")
    fields = (
        "run",
        "creator",
        "coins",
        "rate",
        "gross",
        "agency_key",
        "agency_name",
        "agency_share_bps",
        "agency_amount",
        "net",
        "commission",
        "currency",
        "status",
        "entry",
        "reviewed_by",
        "reviewed_at",
        "reason",
        "created_at",
    )
    readonly_fields = fields

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(selectors.REVIEW_PERMISSION)

    @admin.display(description="Period end", ordering="run__period_end")
    def period_end(self, payout: Payout) -> str:
        return payout.run.period_end.isoformat()

    @admin.display(description="Value", ordering="gross")
    def gross_amount(self, payout: Payout) -> str:
        return format_money(payout.gross, payout.currency)

    @admin.display(description="Agency share", ordering="agency_amount")
    def agency_part(self, payout: Payout) -> str:
        if not payout.agency_key:
            return "—"
        share = format_money(payout.agency_amount, payout.currency)
        return f"{share} ({payout.agency_share_bps / 100:g}%)"

    @admin.display(description="To the creator", ordering="net")
    def net_amount(self, payout: Payout) -> str:
        return format_money(payout.net, payout.currency)

    @admin.display(description="Commission", ordering="commission")
    def commission_amount(self, payout: Payout) -> str:
        """Affiliate commission on orders, paid beside the coins (the shop's)."""
        return format_money(payout.commission, payout.currency) if payout.commission else "—"

    @admin.display(description="Entry")
    def entry_link(self, payout: Payout) -> SafeString | str:
        return _entry_link(payout.entry_id)

    def _review(
        self,
        request: HttpRequest,
        queryset: QuerySet[Payout],
        *,
        verb: str,
        act: Any,
    ) -> None:
        reviewer: Any = request.user  # an admin page: a logged-in staff member
        done: list[Payout] = []
        ids = list(queryset.values_list("pk", flat=True))
        for payout in Payout.objects.filter(pk__in=ids).select_related("creator"):
            try:
                done.append(act(reviewer=reviewer, payout=payout))
            except DomainError as exc:
                self.message_user(
                    request, f"Payout #{payout.pk} not {verb}: {exc.message}", messages.ERROR
                )
        if done:
            LogEntry.objects.log_actions(
                user_id=reviewer.pk,
                queryset=done,
                action_flag=CHANGE,
                change_message=verb.capitalize(),
            )
            self.message_user(request, f"{len(done)} payout(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve the selected payouts", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        self._review(request, queryset, verb="approved", act=services.payout_approve)

    @admin.action(description="Reject the selected payouts…", permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Payout]) -> HttpResponse | None:
        """Asks for the reason on an intermediate page, then rejects (and
        reverses) each payout."""
        form = PayoutRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]

            def reject_one(*, reviewer: Any, payout: Payout) -> Payout:
                return services.payout_reject(reviewer=reviewer, payout=payout, reason=reason)

            self._review(request, queryset, verb="rejected", act=reject_one)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Reject payouts",
            "objects": list(queryset.select_related("creator", "run")),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/wallet/payout/reject.html", context)
