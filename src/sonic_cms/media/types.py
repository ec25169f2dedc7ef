"""What a file is, judged from its bytes, and how a browser may be allowed to treat it.

The client's Content-Type and extension are ignored: ``filetype`` reads the magic numbers of
binary formats (images, video, audio, PDF, executables, archives), and text is told apart by
looking at it (SVG, HTML, XML or plain text). Serving follows from the sniffed type: raster
images, audio, video and plain text may render inline; anything a browser could run (SVG,
HTML, PDF, everything else) is served as an attachment under ``Content-Security-Policy:
sandbox``.
"""

from __future__ import annotations

import filetype

#: Bytes read from the start of a file to sniff its type.
SNIFF_BYTES = 8192

#: Types Pillow decodes, measures and thumbnails.
RASTER_IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp", "image/tiff"}
)
#: Types a browser renders without running anything inside them.
_INLINE_PREFIXES = ("audio/", "video/")
_INLINE_TYPES = RASTER_IMAGE_TYPES | {"text/plain"}
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<object")


def sniff_mime_type(head: bytes) -> str:
    """The MIME type of a file whose first bytes are ``head`` (at least SNIFF_BYTES if any)."""
    guessed = filetype.guess_mime(head) if head else None
    if guessed:
        return str(guessed)
    text = _as_text(head)
    if text is None:
        return "application/octet-stream"
    return _text_type(text)


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for cut in range(4):  # a multi-byte character may straddle the end of the sample
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _text_type(text: str) -> str:
    lower = text.lstrip("\ufeff \t\r\n").lower()
    if lower.startswith(("<?xml", "<svg", "<!doctype svg", "<!--")) and "<svg" in lower:
        return "image/svg+xml"
    if lower.startswith(_HTML_MARKERS) or "<script" in lower:
        return "text/html"
    if lower.startswith("<?xml"):
        return "application/xml"
    return "text/plain"


def is_raster_image(mime_type: str) -> bool:
    """Whether Pillow should measure and thumbnail the file."""
    return mime_type in RASTER_IMAGE_TYPES


def renders_inline(mime_type: str) -> bool:
    """Whether a browser may show the file inline; everything else is an attachment."""
    return mime_type in _INLINE_TYPES or mime_type.startswith(_INLINE_PREFIXES)
