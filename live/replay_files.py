"""Where a replay's files live: every one under ``replays/<token>/`` in the
``replays`` storage (``STORAGES["replays"]``: the file system under
MEDIA_ROOT by default, S3-compatible storage in production; see
docs/replays.md). The token is random: neither the stream key nor the
room's stream name is ever part of a name.

::

    replays/<token>/master.m3u8          (more than one rendition)
    replays/<token>/<rendition>/index.m3u8
    replays/<token>/<rendition>/seg00000.ts ...
    replays/<token>/poster.jpg
    replays/<token>/preview.mp4
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files import File
from django.core.files.storage import Storage, storages

if TYPE_CHECKING:
    from live.models import Replay

# What players and CDNs need to be told (Python's mimetypes calls .ts a
# translation file); storages that set a Content-Type read ``content_type``.
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".mp4": "video/mp4",
}


def replay_storage() -> Storage:
    return storages["replays"]


def replay_prefix(replay: Replay) -> str:
    """The storage prefix holding every file of the replay."""
    return f"replays/{replay.token}/"


class _TypedFile(File):
    def __init__(self, file: Any, name: str) -> None:
        super().__init__(file, name=name)
        self.content_type = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


def save_as(storage: Storage, name: str, path: Path) -> None:
    """``path`` saved as exactly ``name`` (a rerun replaces it: never a
    second copy under another name)."""
    if storage.exists(name):
        storage.delete(name)
    with path.open("rb") as content:
        saved = storage.save(name, _TypedFile(content, path.name))
    if saved != name:
        # Another writer put a file there between the delete and the save.
        storage.delete(saved)
        raise RuntimeError(f"storage kept {name!r} as {saved!r}; another run is writing it")


def stored_under(storage: Storage, prefix: str) -> list[str]:
    """Every file name in storage under ``prefix`` (a directory name ending
    with ``/``), depth first."""
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    found = [f"{prefix}{name}" for name in files]
    for directory in directories:
        found += stored_under(storage, f"{prefix}{directory}/")
    return found


def remove_under(prefix: str) -> int:
    """Remove every file under ``prefix`` from the replays storage; returns
    how many."""
    storage = replay_storage()
    names = stored_under(storage, prefix)
    for name in names:
        storage.delete(name)
    return len(names)
