"""What every app's HTML forms share."""

from __future__ import annotations

from django import forms

from core.errors import DomainError


def add_domain_errors(form: forms.Form, exc: DomainError) -> None:
    """Show a service's field errors next to the matching fields (the rest,
    and the error's message when no field matches, at the top), each with
    the error's code, as the API would answer it."""
    shown = False
    for name, messages in exc.fields.items():
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, forms.ValidationError(message, code=exc.code))
            shown = True
    if not shown:
        form.add_error(None, forms.ValidationError(exc.message, code=exc.code))
