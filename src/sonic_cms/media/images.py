"""Image measuring, thumbnails and resized variants with Pillow, refusing bombs and broken files.

``Image.MAX_IMAGE_PIXELS`` is set from ``SONIC_MEDIA_MAX_IMAGE_PIXELS`` and Pillow's
decompression-bomb warning is turned into a refusal, so an image that would decode to more
pixels than allowed is turned away before it is decoded. A thumbnail is a full decode (JPEG in
draft mode, at a fraction of its size), which is also how truncated files are caught.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Literal

from PIL import Image, ImageOps

from sonic_cms.errors import ValidationFailed

Fit = Literal["contain", "cover", "fill"]
FITS: tuple[Fit, ...] = ("contain", "cover", "fill")
_WEBP_QUALITY = 82


@dataclass(frozen=True)
class ImageFacts:
    """What an upload's image check learned: its size and a ready thumbnail (WebP bytes)."""

    width: int
    height: int
    thumbnail: bytes


def _invalid(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, details=[{"path": "file", "message": message}])


@contextmanager
def _opened(source: IO[bytes], max_pixels: int) -> Iterator[Image.Image]:
    """Open an image with the pixel limit enforced; broken or oversized files become 422."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source) as image:
                if image.width * image.height > max_pixels:
                    raise _too_many_pixels(max_pixels)
                yield image
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _invalid("The image is damaged or incomplete", "invalid_image") from exc


def _too_many_pixels(max_pixels: int) -> ValidationFailed:
    return _invalid(f"The image has more than {max_pixels} pixels", "image_too_large")


def inspect_image(source: IO[bytes], max_pixels: int, thumbnail_size: int) -> ImageFacts:
    """Measure an image and make its thumbnail; 422 for bombs, truncated or broken files."""
    with _opened(source, max_pixels) as image:
        width, height = image.size
        image.draft("RGB", (thumbnail_size, thumbnail_size))
        thumb = ImageOps.exif_transpose(image) or image
        thumb.thumbnail((thumbnail_size, thumbnail_size))
        return ImageFacts(width=width, height=height, thumbnail=_webp(thumb))


def resize_image(
    source: IO[bytes],
    max_pixels: int,
    width: int | None,
    height: int | None,
    fit: Fit,
) -> bytes:
    """A resized copy as WebP; never larger than the original (no upscaling)."""
    with _opened(source, max_pixels) as image:
        box = _box(image.size, width, height)
        image.draft("RGB", box)
        upright = ImageOps.exif_transpose(image) or image
        if fit == "cover" and width and height:
            result = ImageOps.fit(upright, box)
        elif fit == "fill" and width and height:
            result = upright.resize(box)
        else:
            result = ImageOps.contain(upright, box)
        return _webp(result)


def _box(size: tuple[int, int], width: int | None, height: int | None) -> tuple[int, int]:
    """The target box, capped at the original size, the missing side kept in proportion."""
    original_w, original_h = size
    w = min(width or original_w, original_w)
    h = min(height or original_h, original_h)
    if width and not height:
        h = max(1, round(original_h * w / original_w))
    elif height and not width:
        w = max(1, round(original_w * h / original_h))
    return max(1, w), max(1, h)


def _webp(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        has_alpha = image.mode in ("LA", "PA", "P") and "transparency" in image.info
        image = image.convert("RGBA" if has_alpha or image.mode == "LA" else "RGB")
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=_WEBP_QUALITY)
    return out.getvalue()
