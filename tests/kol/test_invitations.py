"""Invitations to host live rooms: idempotent sending, answering, expiry and
who may do what."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import Notification, User
from kol.errors import InvitationClosed, NotFound, PermissionDenied, ValidationFailed
from kol.models import Invitation
from kol.selectors import can_send_invitations, invitation_list_for
from kol.services import (
    STUDIO_URL,
    invitation_accept,
    invitation_decline,
    invitation_send,
    invitations_expire_due,
)
from tests.factories import InvitationFactory, ModeratorFactory, NicheFactory, UserFactory, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    member = UserFactory(username="staffer")
    member.user_permissions.add(
        Permission.objects.get(content_type__app_label="kol", codename="send_invitation")
    )
    return User.objects.get(pk=member.pk)


def notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, verb=Notification.Verb.NOTICE))


# --- sending ---------------------------------------------------------------------------


def test_invite_sends_one_open_invitation_with_a_notice(  # type: ignore[no-untyped-def]
    staff, user, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SPROUT_KOL_INVITATION_DAYS = 10
    niche = NicheFactory(slug="skincare")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        invitation, created = invitation_send(
            actor=staff,
            user=user,
            message="  Host a Sunday skincare room?  ",
            niche=niche,
            score=81.5,
            reasons=["engagement 7.1% (top 5%)"],
        )
    assert created is True
    assert invitation.status == Invitation.Status.SENT
    assert invitation.invited_by == staff
    assert invitation.message == "Host a Sunday skincare room?"
    assert invitation.niche == niche
    assert invitation.score == 81.5
    assert invitation.reasons == ["engagement 7.1% (top 5%)"]
    assert before + timedelta(days=10) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=10)
    [notice] = notices(user)
    assert notice.actor == staff
    assert notice.data["url"] == STUDIO_URL
    assert notice.data["text"] == "Host a Sunday skincare room?"


def test_second_invite_returns_the_open_one(  # type: ignore[no-untyped-def]
    staff, user, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first, created_first = invitation_send(actor=staff, user=user)
        second, created_second = invitation_send(actor=staff, user=user, message="again")
    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert Invitation.objects.filter(user=user).count() == 1
    assert len(notices(user)) == 1


def test_racing_invite_is_guarded_by_the_unique_index(  # type: ignore[no-untyped-def]
    staff, user, monkeypatch
) -> None:
    winner, _ = invitation_send(actor=staff, user=user)
    real_first = QuerySet.first
    looked: list[bool] = []

    def first_before_the_winner_committed(self):  # type: ignore[no-untyped-def]
        # The racing call looks before the winner's row is visible.
        if self.model is Invitation and not looked:
            looked.append(True)
            return None
        return real_first(self)

    monkeypatch.setattr(QuerySet, "first", first_before_the_winner_committed)
    invitation, created = invitation_send(actor=staff, user=user)
    assert looked
    assert created is False
    assert invitation.pk == winner.pk
    assert Invitation.objects.filter(user=user, status=Invitation.Status.SENT).count() == 1


def test_database_refuses_two_open_invitations(user) -> None:  # type: ignore[no-untyped-def]
    expires = timezone.now() + timedelta(days=1)
    InvitationFactory(user=user, expires_at=expires)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(user=user, expires_at=expires)
    InvitationFactory(user=user, expires_at=expires, status=Invitation.Status.DECLINED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_invites_create_one_invitation() -> None:
    member = UserFactory()
    barrier = threading.Barrier(4)
    outcomes: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            invitation, created = invitation_send(actor=None, user=member)
            outcomes.append((invitation.pk, created))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({pk for pk, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False, False, False, True]
    assert Invitation.objects.filter(user=member).count() == 1


def test_stale_open_invitation_is_expired_and_replaced(staff, user) -> None:  # type: ignore[no-untyped-def]
    stale = InvitationFactory(user=user, expires_at=timezone.now() - timedelta(minutes=1))
    invitation, created = invitation_send(actor=staff, user=user)
    assert created is True
    assert invitation.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == Invitation.Status.EXPIRED


def test_member_without_the_permission_cannot_invite(user, other_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        invitation_send(actor=other_user, user=user)
    assert not Invitation.objects.exists()


def test_moderators_superusers_and_the_system_can_invite(user, other_user) -> None:  # type: ignore[no-untyped-def]
    moderator = ModeratorFactory()
    boss = UserFactory(is_superuser=True)
    assert can_send_invitations(fresh(moderator))
    assert can_send_invitations(boss)
    assert invitation_send(actor=fresh(moderator), user=user)[1] is True
    assert invitation_send(actor=boss, user=other_user)[1] is True
    assert invitation_send(actor=None, user=UserFactory())[1] is True


def test_can_send_invitations_refuses_members_anonymous_and_inactive_staff(user) -> None:  # type: ignore[no-untyped-def]
    assert not can_send_invitations(user)
    assert not can_send_invitations(AnonymousUser())
    assert not can_send_invitations(UserFactory(is_superuser=True, is_active=False))


def test_inactive_member_or_existing_host_is_not_invited(staff, user, other_user) -> None:  # type: ignore[no-untyped-def]
    other_user.is_active = False
    other_user.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed):
        invitation_send(actor=staff, user=other_user)
    user.user_permissions.add(Permission.objects.get(codename="host_live"))
    with pytest.raises(ValidationFailed) as caught:
        invitation_send(actor=staff, user=fresh(user))
    assert caught.value.code == "already_host"
    assert not Invitation.objects.exists()


def test_overlong_message_is_refused(staff, user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        invitation_send(actor=staff, user=user, message="x" * 1001)
    assert "message" in caught.value.fields


# --- answering -------------------------------------------------------------------------


def test_accept_grants_the_right_to_host_and_tells_the_inviter(  # type: ignore[no-untyped-def]
    staff, user, django_capture_on_commit_callbacks
) -> None:
    invitation, _ = invitation_send(actor=staff, user=user)
    assert not fresh(user).has_perm("kol.host_live")
    with django_capture_on_commit_callbacks(execute=True):
        accepted = invitation_accept(user=user, invitation=invitation)
    assert accepted.status == Invitation.Status.ACCEPTED
    assert accepted.responded_at is not None
    assert fresh(user).has_perm("kol.host_live")
    assert user.has_perm("kol.host_live")  # the caller's instance sees it at once
    [notice] = notices(staff)
    assert notice.actor == user
    assert "accepted" in notice.data["title"]


def test_decline_keeps_the_member_a_guest(  # type: ignore[no-untyped-def]
    staff, user, django_capture_on_commit_callbacks
) -> None:
    invitation, _ = invitation_send(actor=staff, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        declined = invitation_decline(user=user, invitation=invitation)
    assert declined.status == Invitation.Status.DECLINED
    assert declined.responded_at is not None
    assert not fresh(user).has_perm("kol.host_live")
    assert "declined" in notices(staff)[0].data["title"]
    # The member may be invited again later.
    assert invitation_send(actor=staff, user=user)[1] is True


def test_another_member_cannot_answer(staff, user, other_user) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = invitation_send(actor=staff, user=user)
    for answer in (invitation_accept, invitation_decline):
        with pytest.raises(NotFound):
            answer(user=other_user, invitation=invitation)
    with pytest.raises(NotFound):
        invitation_accept(user=AnonymousUser(), invitation=invitation)  # type: ignore[arg-type]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert not fresh(other_user).has_perm("kol.host_live")


def test_answered_invitation_is_closed(staff, user) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = invitation_send(actor=staff, user=user)
    invitation_decline(user=user, invitation=invitation)
    with pytest.raises(InvitationClosed):
        invitation_accept(user=user, invitation=invitation)
    with pytest.raises(InvitationClosed):
        invitation_decline(user=user, invitation=invitation)
    assert not fresh(user).has_perm("kol.host_live")


def test_accepting_a_past_due_invitation_fails_and_expires_it(staff, user) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = invitation_send(actor=staff, user=user)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvitationClosed) as caught:
        invitation_accept(user=user, invitation=invitation)
    assert "expired" in caught.value.message
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED
    assert invitation.responded_at is None
    assert not fresh(user).has_perm("kol.host_live")


def test_declining_a_past_due_invitation_expires_it(staff, user) -> None:  # type: ignore[no-untyped-def]
    invitation, _ = invitation_send(actor=staff, user=user)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(InvitationClosed):
        invitation_decline(user=user, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED


# --- expiry and reads -----------------------------------------------------------------------


def test_expire_due_expires_only_past_due_open_invitations(user, other_user) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    due = InvitationFactory(user=user, expires_at=now - timedelta(hours=1))
    waiting = InvitationFactory(user=other_user, expires_at=now + timedelta(hours=1))
    answered = InvitationFactory(
        user=UserFactory(), expires_at=now - timedelta(days=2), status=Invitation.Status.ACCEPTED
    )
    declined = InvitationFactory(
        user=user, expires_at=now - timedelta(days=2), status=Invitation.Status.DECLINED
    )
    assert invitations_expire_due(now=now) == 1
    assert invitations_expire_due(now=now) == 0
    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: Invitation.Status.EXPIRED,
        waiting.pk: Invitation.Status.SENT,
        answered.pk: Invitation.Status.ACCEPTED,
        declined.pk: Invitation.Status.DECLINED,
    }
    assert invitations_expire_due(now=now + timedelta(hours=2)) == 1
    assert invitations_expire_due() == 0


def test_expire_due_is_one_query(user) -> None:  # type: ignore[no-untyped-def]
    for member in [user, *UserFactory.create_batch(5)]:
        InvitationFactory(user=member, expires_at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as captured:
        assert invitations_expire_due() == 6
    assert len(captured) == 1


def test_invitations_for_shows_members_their_own_and_staff_all(staff, user, other_user) -> None:  # type: ignore[no-untyped-def]
    mine, _ = invitation_send(actor=staff, user=user)
    theirs, _ = invitation_send(actor=staff, user=other_user)
    assert list(invitation_list_for(user)) == [mine]
    assert list(invitation_list_for(other_user)) == [theirs]
    assert set(invitation_list_for(staff)) == {mine, theirs}
    assert list(invitation_list_for(AnonymousUser())) == []
