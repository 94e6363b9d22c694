"""Production settings pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_for_production_settings() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x7#kq!" + "Zp9" * 20,
        "DJANGO_ALLOWED_HOSTS": "sprout.example.com",
        "DATABASE_URL": "postgres://sprout@db.example.com:5432/sprout",
        "REDIS_URL": "redis://cache.example.com:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_ALLOWED_HOSTS": "sprout.example.com",
        "DATABASE_URL": "postgres://sprout@db.example.com:5432/sprout",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _production(hosts: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Production settings loaded in a process of their own, printing what
    plain HTTP would change."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x7#kq!" + "Zp9" * 20,
        "DJANGO_ALLOWED_HOSTS": hosts,
        "DATABASE_URL": "postgres://sprout@db.example.com:5432/sprout",
        **extra,
    }
    show = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    return subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_make_stacks_plain_http_switch_is_for_loopback_only() -> None:
    # make stack (scripts/stack) serves http://127.0.0.1:8000 with it.
    local = _production("127.0.0.1,localhost", DJANGO_PLAIN_HTTP_LOOPBACK="true")
    assert local.returncode == 0, local.stderr
    assert local.stdout.split() == ["False", "0", "False", "False"]
    # A real host name keeps HTTPS whatever the switch says.
    public = _production("sprout.example.com,127.0.0.1", DJANGO_PLAIN_HTTP_LOOPBACK="true")
    assert public.returncode != 0
    assert "DJANGO_PLAIN_HTTP_LOOPBACK" in public.stderr and "sprout.example.com" in public.stderr
    # Without the switch: HTTPS everything (check --deploy above).
    default = _production("127.0.0.1")
    assert default.stdout.split() == ["True", "31536000", "True", "True"]


def test_replays_can_live_in_another_storage_whose_origin_the_policy_allows(
    tmp_path: Path,
) -> None:
    # What a bucket gives (docs/replays.md): a storage of its own, with
    # absolute URLs on another origin, set from the environment alone.
    options = f'{{"location": "{tmp_path}", "base_url": "https://replays.example.net/v/"}}'
    show = (
        "import django; django.setup(); "
        "from django.conf import settings as s; "
        "from django.core.files.storage import storages; "
        "r = storages['replays']; "
        "print(type(r).__name__, r.location, r.url('replays/tok/index.m3u8')); "
        "print(*[' '.join(map(str, s.SECURE_CSP[d])) for d in "
        "('connect-src', 'media-src', 'img-src')], sep='\\n')"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x7#kq!" + "Zp9" * 20,
        "DJANGO_ALLOWED_HOSTS": "sprout.example.com",
        "DATABASE_URL": "postgres://sprout@db.example.com:5432/sprout",
        "SPROUT_REPLAY_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage",
        "SPROUT_REPLAY_STORAGE_OPTIONS": options,
        "SPROUT_REPLAY_ORIGIN": "https://replays.example.net",
    }
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    storage, *policy = result.stdout.splitlines()
    assert storage.split() == [
        "FileSystemStorage",
        str(tmp_path),
        "https://replays.example.net/v/replays/tok/index.m3u8",
    ]
    # hls.js fetches the playlists and segments; the video and poster show.
    for directive in policy:
        assert "https://replays.example.net" in directive.split()


# Where the repository starts its ASGI server for people (not tests or benches).
SERVER_COMMANDS = ("Makefile", "scripts/stack", "deploy/systemd/sprout-web@.service", "README.md")


def test_every_server_command_writes_room_frames_uncompressed() -> None:
    """Browsers offer permessage-deflate and uvicorn takes the offer unless
    told not to: each room frame would be compressed once per viewer, twice
    the CPU per chat event and twice the memory per socket
    (docs/performance.md, "Browsers and per-message deflate")."""
    found = 0
    for name in SERVER_COMMANDS:
        text = (ROOT / name).read_text().replace("\\\n", " ")
        for line in text.splitlines():
            if "uvicorn config.asgi:application" in line and not line.lstrip().startswith("#"):
                found += 1
                assert "--ws-per-message-deflate false" in line, f"{name}: {line.strip()}"
    assert found >= len(SERVER_COMMANDS)
