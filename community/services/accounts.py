"""Members: sign-up, e-mail verification, API tokens, profiles.

E-mail verification: the link carries a signed token (``django.core.signing``,
salted, valid for :data:`EMAIL_VERIFY_MAX_AGE`) naming the member and the
address it was sent to, so a link for an address since changed verifies
nothing. Mail is sent by a Celery task after the transaction commits
(``community.tasks.send_email``), through ``EMAIL_URL``'s backend (the console
in development)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community.errors import LinkExpired, LinkInvalid
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


EMAIL_VERIFY_SALT = "sprout.community.email-verify"
EMAIL_VERIFY_MAX_AGE = 3 * 24 * 3600


def email_verification_token(user: User) -> str:
    """A signed token for ``user``'s current address."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=EMAIL_VERIFY_SALT)


def email_verification_send(*, user: User, link_for: Callable[[str], str]) -> bool:
    """Send ``user`` a link that verifies their address (``link_for(token)``
    makes it absolute). Nothing is sent for an address already verified or
    missing; returns whether a message was queued."""
    from community.tasks import send_email

    if user.email_verified_at is not None or not user.email:
        return False
    link = link_for(email_verification_token(user))
    context = {"user": user, "link": link, "days": EMAIL_VERIFY_MAX_AGE // 86400}
    subject = render_to_string("registration/verify_email_subject.txt", context).strip()
    body = render_to_string("registration/verify_email.txt", context)
    recipient = user.email
    transaction.on_commit(lambda: send_email.delay(subject, body, [recipient]), robust=True)
    return True


def email_verify(*, token: str) -> User:
    """Mark the address a verification link was sent to as verified
    (idempotent). ``link_expired`` after :data:`EMAIL_VERIFY_MAX_AGE`;
    ``link_invalid`` for a forged or mangled token, or an address changed
    since."""
    try:
        data = signing.loads(token, salt=EMAIL_VERIFY_SALT, max_age=EMAIL_VERIFY_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired() from exc
    except signing.BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise LinkInvalid()
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or user.email.lower() != data.get("e"):
        raise LinkInvalid()
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user
