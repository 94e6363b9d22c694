"""Members: sign-up, API tokens, profiles."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from community.models import User, username_validator
from core.errors import InvalidImage, ValidationFailed
from core.images import prepare_upload


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a member and their API token. Every field problem is reported at
    once, under its field name."""
    username = username.strip()
    email = email.strip()
    errors: dict[str, list[str]] = {}
    try:
        username_validator(username)
    except DjangoValidationError as exc:
        errors["username"] = list(exc.messages)
    else:
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = ["This username is taken."]
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = ["Enter a valid email address."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ["An account with this email already exists."]
    try:
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            Token.objects.create(user=user)
    except IntegrityError as exc:  # a concurrent sign-up took the name first
        raise ValidationFailed(fields={"username": ["This username is taken."]}) from exc
    return user


def user_token(*, user: User) -> str:
    """The member's API token, created on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def user_profile_update(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar: File | None = None,
) -> User:
    """Change the caller's public profile. An avatar goes through the same
    validation and metadata stripping as every upload (``core.images``)."""
    fields: list[str] = []
    if display_name is not None:
        user.display_name = display_name.strip()[:50]
        fields.append("display_name")
    if bio is not None:
        user.bio = bio.strip()[:500]
        fields.append("bio")
    if avatar is not None:
        try:
            prepared = prepare_upload(avatar)
        except InvalidImage as exc:
            raise ValidationFailed(
                exc.message, fields={"avatar": [exc.message]}, code=exc.code
            ) from exc
        cleaned = prepared.as_file()
        user.avatar.save(cleaned.name or "", cleaned, save=False)
        fields.append("avatar")
    if fields:
        user.save(update_fields=fields)
    return user
