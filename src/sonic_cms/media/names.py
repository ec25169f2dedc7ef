"""File names, folders and object keys for media: what a client sends is never trusted.

A client's file name is display text. The stored name keeps its letters (unicode included) but
loses path separators, control characters, Windows device names and anything past the byte
limit; the object key is laid out as ``folder/yyyy/mm/<id>-<name>`` so it is unique and tells
where and when a file arrived.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import PurePosixPath

from sonic_cms.errors import ValidationFailed

DEFAULT_FOLDER = "uploads"
#: SonicJS's folder rule (create-folder): lower-case letters, digits, hyphens, underscores.
FOLDER_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}\Z")
_RESERVED_CHARS = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
#: Extensions written for a sniffed type when the client's extension does not match it.
_PREFERRED_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
    "audio/mpeg": ".mp3",
    "audio/x-wav": ".wav",
    "audio/ogg": ".ogg",
    "video/mp4": ".mp4",
    "image/avif": ".avif",
    "image/webp": ".webp",
}
#: Longest original name kept for display.
MAX_ORIGINAL_NAME_CHARS = 1024


def check_folder(folder: str | None, path: str = "folder") -> str:
    """The folder, or ``uploads`` when none is given; 422 when it breaks SonicJS's rule."""
    if folder is None or folder == "":
        return DEFAULT_FOLDER
    if not FOLDER_PATTERN.match(folder):
        message = "must be 1-64 lower-case letters, digits, hyphens or underscores"
        raise ValidationFailed(
            "Invalid folder name",
            code="invalid_folder",
            details=[{"path": path, "message": message}],
        )
    return folder


def clean_display_name(name: str) -> str:
    """The client's name without control characters, NFC-normalised, of bounded length."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text.strip()[:MAX_ORIGINAL_NAME_CHARS] or "file"


def safe_filename(name: str, mime_type: str, max_bytes: int) -> str:
    """A file name safe on every file system and in URLs, with an extension fit for the type.

    ``../../etc/passwd`` becomes ``passwd.txt``, ``con.jpg`` becomes ``_con.jpg``, and a
    10,000-character name is cut to ``max_bytes`` of UTF-8 with its extension kept.
    """
    text = clean_display_name(name).replace("\\", "/")
    base = text.rsplit("/", 1)[-1]
    base = _RESERVED_CHARS.sub("_", base).strip(" .")
    path = PurePosixPath(base or "file")
    stem, ext = path.stem.strip(" .") or "file", path.suffix.lower()
    if ext not in _extensions_for(mime_type):
        ext = _extension_for(mime_type)
    if stem.split(".")[0].lower() in _WINDOWS_DEVICES:
        stem = "_" + stem
    stem = _cut_utf8(stem, max_bytes - len(ext.encode("utf-8"))).rstrip(" .") or "file"
    return stem + ext


def object_key(folder: str, media_id: str, filename: str, now_ms: int) -> str:
    """``folder/yyyy/mm/<id>-<filename>``: unique by id, grouped by arrival month."""
    moment = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    return f"{folder}/{moment:%Y}/{moment:%m}/{media_id}-{filename}"


def derived_prefix(media_id: str) -> str:
    """Where a media item's thumbnail and resized variants live."""
    return f"_derived/{media_id}/"


def thumbnail_key(media_id: str) -> str:
    """The thumbnail's object key."""
    return f"{derived_prefix(media_id)}thumbnail.webp"


def variant_key(media_id: str, width: int | None, height: int | None, fit: str) -> str:
    """A resized variant's object key, one per (width, height, fit)."""
    return f"{derived_prefix(media_id)}w{width or 0}-h{height or 0}-{fit}.webp"


def media_id_of_derived_key(key: str) -> str | None:
    """The media id a ``_derived/<id>/...`` key belongs to, else None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "_derived" and parts[1]:
        return parts[1]
    return None


def _extensions_for(mime_type: str) -> set[str]:
    return set(mimetypes.guess_all_extensions(mime_type, strict=False)) | {
        _extension_for(mime_type)
    }


def _extension_for(mime_type: str) -> str:
    preferred = _PREFERRED_EXTENSIONS.get(mime_type)
    if preferred:
        return preferred
    return mimetypes.guess_extension(mime_type, strict=False) or ".bin"


def _cut_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(1, max_bytes)].decode("utf-8", errors="ignore")
