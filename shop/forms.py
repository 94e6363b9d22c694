"""The shop's HTML forms. People type prices in major units ("59.90") and
commission as a percentage ("12.5"); the forms turn them into what the
services store (minor units of ``SPROUT_CURRENCY``, basis points). The
bounds are ``shop.rules``' (the services check them once more)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict

from community.forms import MultipleFileField
from core.money import ZERO_DECIMAL, currency, money_text
from shop import rules
from shop.services import VariantSpec
from wallet.rules import KEY_CLASS


def minor_digits(code: str | None = None) -> int:
    """How many digits the currency has after the point (2, or 0 for yen)."""
    return 0 if (code or currency()) in ZERO_DECIMAL else 2


def to_minor(amount: Decimal, code: str | None = None) -> int:
    return int(amount.scaleb(minor_digits(code)))


def to_major(amount: int, code: str | None = None) -> Decimal:
    digits = minor_digits(code)
    return Decimal(amount).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


class MoneyField(forms.DecimalField):
    """An amount typed in major units, cleaned to an int of minor units."""

    def __init__(self, *, min_minor: int, max_minor: int, **kwargs: Any) -> None:
        digits = minor_digits()
        self.min_minor, self.max_minor = min_minor, max_minor
        kwargs.setdefault("decimal_places", digits)
        kwargs.setdefault("max_digits", 15)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "inputmode": "decimal" if digits else "numeric",
                "step": str(Decimal(1).scaleb(-digits)),
                "min": str(to_major(min_minor)),
                "max": str(to_major(max_minor)),
            }
        )

    def prepare_value(self, value: Any) -> Any:
        return to_major(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            # "59,90" and "¥ 59.90" are what people type too.
            value = value.strip().lstrip("¥$€£").strip().replace(",", ".")
        return super().to_python(value)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        minor = to_minor(amount)
        if not self.min_minor <= minor <= self.max_minor:
            raise forms.ValidationError(
                f"From {money_text(self.min_minor)} to {money_text(self.max_minor)}.",
                code="out_of_range",
            )
        return minor


def _whole(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else None


@dataclass
class VariantRow:
    """A row of the variants editor as typed (for showing it again)."""

    id: str = ""
    name: str = ""
    stock: str = ""


class ProductForm(forms.Form):
    """A product's fields as a seller types them. Variants come as repeated
    ``variant_id`` / ``variant_name`` / ``variant_stock`` fields (rows the
    page's script adds and removes; a row with neither name nor stock is
    ignored)."""

    title = forms.CharField(max_length=rules.TITLE_MAX_LENGTH)
    description = forms.CharField(
        max_length=rules.DESCRIPTION_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What it is, what it is made of, sizes, care.",
    )
    price = MoneyField(min_minor=rules.PRICE_MIN, max_minor=rules.PRICE_MAX)
    stock = forms.IntegerField(
        min_value=0,
        max_value=rules.STOCK_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Units you can ship. With variants, each variant has its own.",
    )
    commission = forms.DecimalField(
        label="Affiliate commission (%)",
        min_value=Decimal(0),
        max_value=Decimal(rules.COMMISSION_BPS_MAX) / 100,
        decimal_places=2,
        max_digits=5,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
        help_text="What a creator earns when their note or live session sells it.",
    )
    open_to_affiliates = forms.BooleanField(
        required=False,
        label="Let other creators tag it in their notes and live rooms",
    )

    def __init__(self, *args: Any, variants: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        price = self.fields["price"]
        price.label = f"Price ({currency()})"
        self.variant_rows: list[VariantRow] = []
        self.variant_errors: list[str] = []
        self.variants: list[VariantSpec] = []
        if self.is_bound:
            data = self.data if isinstance(self.data, QueryDict) else QueryDict(mutable=True)
            ids, names, stocks = (
                data.getlist("variant_id"),
                data.getlist("variant_name"),
                data.getlist("variant_stock"),
            )
            count = max(len(ids), len(names), len(stocks))
            for i in range(min(count, rules.VARIANTS_MAX + 10)):
                row = VariantRow(
                    id=ids[i] if i < len(ids) else "",
                    name=names[i] if i < len(names) else "",
                    stock=stocks[i] if i < len(stocks) else "",
                )
                self.variant_rows.append(row)
        elif variants:
            self.variant_rows = [VariantRow(str(v.pk), v.name, str(v.stock)) for v in variants]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        specs: list[VariantSpec] = []
        for row in self.variant_rows:
            if not row.name.strip() and not row.stock.strip():
                continue
            stock = _whole(row.stock)
            if not row.name.strip():
                self.variant_errors.append("Give every variant a name (“M”, “Blue”, “M / Blue”).")
                continue
            if len(row.name.strip()) > rules.VARIANT_NAME_MAX_LENGTH:
                self.variant_errors.append(
                    f"Keep “{row.name.strip()[:20]}…” within {rules.VARIANT_NAME_MAX_LENGTH} "
                    "characters."
                )
                continue
            if stock is None or stock > rules.STOCK_MAX:
                self.variant_errors.append(
                    f"The stock of “{row.name.strip()}” is a whole number from 0 to "
                    f"{rules.STOCK_MAX:,}."
                )
                continue
            specs.append(VariantSpec(name=row.name.strip(), stock=stock, id=_whole(row.id)))
        names = [spec.name.casefold() for spec in specs]
        if len(set(names)) < len(names):
            self.variant_errors.append("Two variants have the same name.")
        if len(specs) > rules.VARIANTS_MAX:
            self.variant_errors.append(f"A product has at most {rules.VARIANTS_MAX} variants.")
        if self.variant_errors:
            self.add_error(None, forms.ValidationError(" ".join(self.variant_errors)))
        self.variants = specs
        if not specs and data.get("stock") is None and "stock" not in self.errors:
            self.add_error("stock", "How many can you ship? (0 if none yet.)")
        commission = data.get("commission")
        data["commission_bps"] = int(commission * 100) if commission is not None else 0
        return data

    def add_variants_error(self, messages: list[str]) -> None:
        self.variant_errors.extend(messages)

    @property
    def rows_to_show(self) -> list[VariantRow]:
        """The rows, and one blank row to type a new variant in (without
        scripts there is no "Add" button)."""
        rows = [row for row in self.variant_rows if row.name or row.stock or row.id]
        return [*rows, VariantRow()]


class ProductCreateForm(ProductForm):
    """Listing a product: its fields and 1–9 images (the first is the cover)."""

    images = MultipleFileField(
        required=False,
        label="Photos",
        help_text=f"{rules.IMAGES_MIN} to {rules.IMAGES_MAX} JPEG, PNG or WebP photos; "
        "the first is the cover.",
    )

    def clean_images(self) -> list[Any]:
        images: list[Any] = self.cleaned_data.get("images") or []
        if len(images) < rules.IMAGES_MIN:
            raise forms.ValidationError(
                "Add at least one photo: the first is the cover.", code="images_required"
            )
        if len(images) > rules.IMAGES_MAX:
            raise forms.ValidationError(
                f"A product holds at most {rules.IMAGES_MAX} photos.", code="too_many_images"
            )
        return images


def commission_percent(bps: int) -> Decimal:
    """Basis points as a percentage without trailing zeros: 1250 -> 12.5, 1000 -> 10."""
    text = f"{(Decimal(bps) / 100).quantize(Decimal('0.01')):f}"
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def product_initial(product: Any) -> dict[str, Any]:
    return {
        "title": product.title,
        "description": product.description,
        "price": product.price,
        "stock": product.stock,
        "commission": commission_percent(product.commission_bps),
        "open_to_affiliates": product.open_to_affiliates,
    }


class AddToCartForm(forms.Form):
    """The product sheet's "Add to cart" and "Buy now" (``buy_now=1``), with
    where the buyer came from (a note, a live session: attribution)."""

    product = forms.IntegerField(min_value=1, max_value=2**62)
    variant = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    quantity = forms.IntegerField(min_value=1, max_value=rules.CART_QUANTITY_MAX, initial=1)
    source_note = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    source_session = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    buy_now = forms.BooleanField(required=False)

    def source(self) -> dict[str, int] | None:
        data = self.cleaned_data
        if data.get("source_note"):
            return {"note": data["source_note"]}
        if data.get("source_session"):
            return {"live_session": data["source_session"]}
        return None


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=rules.CART_QUANTITY_MAX)


KEY_HELP = "This form was already used or is too old: check it and send it again."


class CheckoutForm(forms.Form):
    """Where to ship one shop's order, and the key that makes a double
    click (or a retried request) one order."""

    name = forms.CharField(
        max_length=rules.SHIP_NAME_MAX_LENGTH,
        label="Full name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.RegexField(
        r"^\+?[0-9][0-9 ()-]{4,28}$",
        max_length=rules.SHIP_PHONE_MAX_LENGTH,
        label="Phone",
        error_messages={"invalid": "A phone number: digits, spaces, +, - and brackets."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="For the courier only.",
    )
    address = forms.CharField(
        max_length=rules.SHIP_ADDRESS_MAX_LENGTH,
        label="Address",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    idempotency_key = forms.RegexField(
        rf"^[{KEY_CLASS}]{{1,100}}$",
        widget=forms.HiddenInput,
        error_messages={"invalid": KEY_HELP, "required": KEY_HELP},
    )

    def shipping(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("name", "phone", "address")}


class ShipForm(forms.Form):
    tracking = forms.CharField(
        max_length=100,
        label="Tracking number",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class RefundForm(forms.Form):
    reason = forms.CharField(
        max_length=rules.REASON_MAX_LENGTH,
        label="Reason for the refund",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The buyer sees it.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=rules.REASON_MAX_LENGTH, required=False, label="Why? (optional)"
    )
