"""The wallet page: the member's coins, a recharge form (preset packs or a
custom amount) and their ledger, paged.

Same discipline as ``community.views``: thin views, POST-only writes that
work without JavaScript (post, then redirect back with a message). The form
carries an idempotency key made when the page was rendered, so a
double-submitted form (a double click, a resent POST) is counted once; a
form that failed validation keeps its key (failures are not cached, see
``wallet.services.idempotency``), a successful one is replaced by a fresh page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from core import pagination
from core.errors import DomainError
from core.forms import add_domain_errors
from core.money import currency, money_text
from core.views import cursor_of, handles_domain_errors, is_htmx, member, member_required, page_size
from wallet import providers, selectors, services
from wallet.errors import IdempotencyConflict
from wallet.models import Entry, Line
from wallet.services.idempotency import KEY_PATTERN

#: The preset packs the page offers (coins): the wallet's, also offered by
#: a live room's top-up sheet.
PACKS = selectors.RECHARGE_PACKS
DEFAULT_PACK = selectors.DEFAULT_PACK
CUSTOM = "custom"
STALE_FORM = "This form is out of date. Reload the page and try again."


# Currencies without minor units, and the symbols worth showing.
def new_idempotency_key() -> str:
    return f"web-{uuid.uuid4().hex}"


class RechargeForm(forms.Form):
    pack = forms.ChoiceField(
        choices=[(str(coins), f"{coins:,} coins") for coins in PACKS] + [(CUSTOM, "Custom")],
        initial=str(DEFAULT_PACK),
    )
    custom_coins = forms.IntegerField(
        required=False,
        min_value=selectors.MIN_RECHARGE_COINS,
        max_value=selectors.MAX_RECHARGE_COINS,
        label="Coins",
    )
    idempotency_key = forms.RegexField(
        KEY_PATTERN,
        max_length=100,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": STALE_FORM,
            "required": STALE_FORM,
            "max_length": STALE_FORM,
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing = data.get("custom_coins") is None and "custom_coins" not in self.errors
        if data.get("pack") == CUSTOM and missing:
            self.add_error("custom_coins", "How many coins? A whole number from 1 to 100,000.")
        return data

    def coins(self) -> int:
        data = self.cleaned_data
        return int(data["custom_coins"] if data["pack"] == CUSTOM else data["pack"])


@dataclass(frozen=True)
class HistoryRow:
    """A ledger line as the history shows it."""

    line: Line
    title: str
    amount_text: str
    is_credit: bool


def _history_row(line: Line) -> HistoryRow:
    unit = selectors.account_kind_unit(line.account.kind)
    sign = "+" if line.amount > 0 else "−"
    if unit == "coins":
        amount_text = f"{sign}{abs(line.amount):,}"
    else:
        amount_text = sign + money_text(abs(line.amount), currency())
    kind = line.entry.kind
    if kind == Entry.Kind.GIFT:
        title = "Gift received" if line.amount > 0 else "Gift sent"
    else:
        title = line.entry.get_kind_display()
    return HistoryRow(line=line, title=title, amount_text=amount_text, is_credit=line.amount > 0)


def _history(request: HttpRequest) -> pagination.Page:
    return pagination.keyset(
        selectors.ledger_lines_for(member(request)),
        cursor=cursor_of(request),
        size=page_size(),
        finish=lambda lines: [_history_row(line) for line in lines],
    )


def _page(request: HttpRequest, form: RechargeForm, *, status: int = 200) -> HttpResponse:
    user = member(request)
    price = selectors.coin_price()
    code = currency()
    chosen = form["pack"].value() or str(DEFAULT_PACK)
    history = _history(request)
    context: dict[str, Any] = {
        "summary": selectors.wallet_summary(user),
        "form": form,
        "packs": [
            {
                "value": str(pack.coins),
                "coins": pack.coins,
                "price": pack.price_text,
                "checked": chosen == str(pack.coins),
            }
            for pack in selectors.recharge_packs()
        ],
        "custom_checked": chosen == CUSTOM,
        "coin_price": money_text(price, code),
        "max_coins": selectors.MAX_RECHARGE_COINS,
        "is_sandbox": providers.default_provider().name == "sandbox",
        "rows": history.items,
        "next_cursor": history.next_cursor,
    }
    return render(request, "wallet/wallet.html", context, status=status)


@require_GET
@member_required
@handles_domain_errors
def wallet(request: HttpRequest) -> HttpResponse:
    """The wallet page; with htmx and a cursor, the next page of history."""
    if is_htmx(request) and cursor_of(request):
        history = _history(request)
        response = render(
            request,
            "wallet/partials/history_rows.html",
            {"rows": history.items, "next_cursor": history.next_cursor},
        )
    else:
        response = _page(request, RechargeForm(initial={"idempotency_key": new_idempotency_key()}))
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required
@handles_domain_errors
def wallet_recharge(request: HttpRequest) -> HttpResponse:
    """Buy coins through the payment provider, once per form (its key)."""
    user = member(request)
    form = RechargeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            result = services.recharge_create(
                user=user,
                coins=form.coins(),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except IdempotencyConflict:
            # An old form sent again with another amount: start a fresh one.
            data = request.POST.copy()
            data["idempotency_key"] = new_idempotency_key()
            form = RechargeForm(data)
            form.is_valid()
            form.add_error(None, "This form was already used. Check the amount and buy again.")
        except DomainError as exc:
            add_domain_errors(form, exc)
            status = exc.status
        else:
            _announce(request, result)
            return redirect("wallet")
    return _page(request, form, status=status)


def _announce(request: HttpRequest, result: dict[str, Any]) -> None:
    payment = result["payment"]
    coins = f"{payment['coins']:,}"
    if result["replayed"]:
        messages.info(request, f"That recharge of {coins} coins was already counted, once.")
    elif payment["status"] == "succeeded":
        messages.success(request, f"{coins} coins added to your wallet.")
    elif payment["status"] == "pending":
        messages.info(request, f"Payment started: {coins} coins arrive once it is confirmed.")
    else:
        messages.error(request, "The payment did not go through; no coins were added.")
