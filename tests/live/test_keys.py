"""Stream keys: shown once, hashed at rest, one active per host, rotation
and revocation take effect at once, only hosts get one."""

from __future__ import annotations

import hashlib

import pytest

from live import keys, selectors, services
from live.errors import NotAHost
from live.models import StreamKey
from tests.factories import HostFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_key_is_returned_once_and_only_its_hash_is_stored() -> None:
    host = HostFactory()
    key, plaintext = services.stream_key_rotate(host=host)
    assert len(plaintext) >= 32
    stored = StreamKey.objects.get(pk=key.pk)
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.hint == plaintext[: keys.HINT_LENGTH]
    row = StreamKey.objects.filter(pk=key.pk).values().get()
    assert all(plaintext not in str(value) for value in row.values())
    assert selectors.stream_key_host(plaintext) == host


def test_rotation_revokes_the_previous_key_at_once() -> None:
    host = HostFactory()
    _, old = services.stream_key_rotate(host=host)
    _, new = services.stream_key_rotate(host=host)
    assert new != old
    assert selectors.stream_key_host(old) is None
    assert selectors.stream_key_host(new) == host
    assert StreamKey.objects.filter(host=host, revoked_at=None).count() == 1
    assert StreamKey.objects.filter(host=host).count() == 2


def test_rotating_one_hosts_key_leaves_another_hosts_key_alone() -> None:
    first, second = HostFactory(), HostFactory()
    _, first_key = services.stream_key_rotate(host=first)
    _, second_key = services.stream_key_rotate(host=second)
    services.stream_key_rotate(host=first)
    assert selectors.stream_key_host(second_key) == second
    assert selectors.stream_key_host(first_key) is None


def test_a_member_who_may_not_host_gets_no_key() -> None:
    member = UserFactory()
    with pytest.raises(NotAHost) as caught:
        services.stream_key_rotate(host=member)
    assert caught.value.code == "not_a_host"
    assert not StreamKey.objects.exists()


def test_an_inactive_host_gets_no_key() -> None:
    host = HostFactory(is_active=False)
    with pytest.raises(NotAHost):
        services.stream_key_rotate(host=host)


def test_revoking_refuses_the_key_from_then_on() -> None:
    host = HostFactory()
    _, plaintext = services.stream_key_rotate(host=host)
    revoked = services.stream_key_revoke(host=host)
    assert revoked is not None and revoked.revoked_at is not None
    assert selectors.stream_key_host(plaintext) is None
    assert selectors.stream_key_active(host=host) is None
    # Publish-done of a stream that started before the revocation still finds its host.
    assert selectors.stream_key_host(plaintext, include_revoked=True) == host


def test_revoking_without_a_key_is_a_no_op() -> None:
    assert services.stream_key_revoke(host=HostFactory()) is None


@pytest.mark.parametrize("candidate", ["", "x", "not-a-key-at-all", "k" * 5000, "é✓\x00"])
def test_unknown_keys_find_nobody(candidate: str) -> None:
    services.stream_key_rotate(host=HostFactory())
    assert selectors.stream_key_host(candidate) is None
    assert selectors.stream_key_host(candidate, include_revoked=True) is None


def test_keys_never_start_like_a_command_line_flag() -> None:
    plaintexts = [keys.new_plaintext() for _ in range(2000)]
    assert all(len(p) == 32 and p[0].isalnum() for p in plaintexts)
    assert len(set(plaintexts)) == len(plaintexts)
