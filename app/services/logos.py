"""Organization logos: checked by content, re-encoded, stored under a random name.

An upload is never trusted as sent. It must be at most 2 MB and open with Pillow as
PNG, JPEG, WebP or GIF (its name and declared type are ignored). Only its pixels are
kept: a new image is built from them and encoded again, so EXIF (GPS positions,
camera serials), comments, colour-profile tricks and anything appended after the
image data (HTML or script "polyglots") are left behind. The file is stored under a
random name in ``UPLOAD_FOLDER``, outside ``static/``, and served by a view that sets
its type.

Decoding is the expensive part: a 300 KB PNG can declare 40 million 16-bit pixels. The
dimensions are read from the header and checked before any pixel is decoded; a JPEG is
decoded straight at a reduced scale; anything else is shrunk by whole factors before it is
converted or resampled, so the costliest accepted file (16 megapixels, RGBA) needs its
decoded pixels once and little more (``test_logos.py`` measures the peak).
"""

from __future__ import annotations

import math
import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from app.extensions import db
from app.models import Organization, User
from app.services import DomainError, NotAllowed

# Format Pillow detects -> (format written, file extension, Content-Type served).
# A GIF keeps its first frame only, as a PNG: no animation, no palette tricks.
OUTPUT_FORMATS = {
    "PNG": ("PNG", "png", "image/png"),
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "WEBP": ("WEBP", "webp", "image/webp"),
    "GIF": ("PNG", "png", "image/png"),
}
ACCEPTED_FORMATS = tuple(OUTPUT_FORMATS)
FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF"}
CONTENT_TYPES = {extension: content_type for _, extension, content_type in OUTPUT_FORMATS.values()}
MAX_SIDE = 1024  # logos are shown small; a larger image is scaled down
# The most pixels an upload may declare (4000 x 4000): decoded as RGBA that is 64 MB.
MAX_LOGO_PIXELS = 16_000_000
# Pillow's WebP decoder cannot decode at a reduced scale and holds several whole copies of the
# picture while decoding (libwebp's canvas, the bytes it hands over, Pillow's image): about
# 16 bytes a pixel at its peak, so WebP gets a lower cap.
PIXEL_LIMITS = {"WEBP": 6_000_000}
# Logos are the only images this application decodes: Pillow itself then warns beyond the cap
# (an error in clean_image) and refuses twice the cap anywhere, as a second line of defence.
Image.MAX_IMAGE_PIXELS = MAX_LOGO_PIXELS


class InvalidLogo(DomainError):
    """The upload is not an image we accept."""


class TooManyPixels(InvalidLogo):
    """The image declares more pixels than its format may have (MAX_LOGO_PIXELS, PIXEL_LIMITS)."""


class LogoTooLarge(DomainError):
    """The upload is larger than MAX_LOGO_BYTES."""


def upload_folder() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER")
    if not folder:
        raise RuntimeError("UPLOAD_FOLDER is not configured")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_image(data: bytes) -> tuple[bytes, str]:
    """The re-encoded image and its file extension.

    Raises TooManyPixels when the image has more pixels than allowed (before decoding it),
    and InvalidLogo when ``data`` is not a PNG, JPEG, WebP or GIF image.
    """
    refused = InvalidLogo(_("This file is not an image we can use. Upload a PNG, JPEG, WebP or GIF."))
    if not data:
        raise refused
    try:
        with warnings.catch_warnings():
            # Pillow warns about an image beyond MAX_IMAGE_PIXELS: _check_pixels refuses it,
            # naming its dimensions. Beyond twice that, Pillow refuses to open it at all.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Only our four formats' parsers ever look at the bytes.
            with Image.open(BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
                detected = probe.format
                _check_pixels(probe)
                probe.verify()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # verify() leaves the image unusable: open it again to read the pixels.
            with Image.open(BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                pixels = _pixels_only(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise TooManyPixels(
            _(
                "This image has far too many pixels: a logo may have at most %(megapixels)d megapixels "
                "(for example %(side)d by %(side)d). Make it smaller and upload it again.",
                megapixels=MAX_LOGO_PIXELS // 1_000_000,
                side=math.isqrt(MAX_LOGO_PIXELS),
            )
        ) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise refused from error

    output_format, extension, _type = OUTPUT_FORMATS[detected]
    if output_format == "JPEG" and pixels.mode != "RGB":
        pixels = pixels.convert("RGB")
    buffer = BytesIO()
    options = {"quality": 88, "optimize": True} if output_format == "JPEG" else {}
    if output_format == "WEBP":
        options = {"quality": 88}
    pixels.save(buffer, format=output_format, **options)
    return buffer.getvalue(), extension


def _check_pixels(image: Image.Image) -> None:
    """Refuse an image whose header declares too many pixels (nothing is decoded yet)."""
    limit = PIXEL_LIMITS.get(image.format or "", MAX_LOGO_PIXELS)
    if image.width * image.height > limit:
        raise TooManyPixels(
            _(
                "This image is %(width)d by %(height)d pixels; a %(format)s logo may have at most "
                "%(megapixels)d megapixels (for example %(side)d by %(side)d). Make it smaller and "
                "upload it again.",
                width=image.width,
                height=image.height,
                format=FORMAT_NAMES.get(image.format or "", image.format),
                megapixels=limit // 1_000_000,
                side=math.isqrt(limit),
            )
        )


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image of at most MAX_SIDE pixels a side holding nothing but the source's pixels
    (no metadata at all). Each step closes the image it came from, so that at most two
    large images are ever held at once."""
    image.seek(0)
    if image.format == "JPEG":
        # The JPEG decoder scales by 1/2, 1/4 or 1/8 as it decodes: it never builds the full image.
        image.draft(None, (MAX_SIDE, MAX_SIDE))
    image.load()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode.startswith("I;16"):
        image = _next_step(image, image.convert("I"))
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = _next_step(image, image.convert(mode))  # palette, black and white, CMYK
    # Shrink by a whole factor first: a cheap box average into a small new image. Resampling a
    # large RGBA image straight away would first copy it whole (to premultiply the alpha).
    factor = max(image.size) // MAX_SIDE
    if factor > 1:
        image = _next_step(image, _reduced(image, factor))
    if image.mode == "I":
        # 16-bit grey: keep the top 8 bits (a plain conversion would clip everything above 255).
        image = _next_step(image, image.point(lambda value: value * (1 / 256)).convert("L"))
    image = _next_step(image, image.convert(mode))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return Image.frombytes(mode, image.size, image.tobytes())


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """``image.reduce(factor)``, a strip at a time for images with alpha: Pillow reduces those
    by first copying the whole image with its alpha premultiplied."""
    if image.mode not in ("RGBA", "LA"):
        return image.reduce(factor)
    width, height = image.size
    reduced = Image.new(image.mode, (-(-width // factor), -(-height // factor)))
    rows = factor * 64  # a whole number of output rows per strip, so the strips line up
    for top in range(0, height, rows):
        with image.crop((0, top, width, min(top + rows, height))) as strip:
            reduced.paste(strip.reduce(factor), (0, top // factor))
    return reduced


def _next_step(previous: Image.Image, following: Image.Image) -> Image.Image:
    """``following``, once the memory of ``previous`` (no longer needed) is released."""
    previous.close()
    return following


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """At most ``limit`` bytes. Raises LogoTooLarge when the stream holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LogoTooLarge(_("The logo may be at most %(mb)d MB.", mb=limit // (1024 * 1024)))
    return data


def may_upload(user: User) -> bool:
    """Only people whose email address is confirmed upload logos: a logo goes on public pages,
    and a throwaway account should not get to make the server decode images."""
    return user.email_confirmed_at is not None


def replace_logo(organization: Organization, stream: IO[bytes], uploader: User) -> str | None:
    """Check, clean and store a new logo for the organization.

    Returns the previous logo's file name: the caller deletes it with
    ``delete_file`` once the change is committed. Raises NotAllowed (before reading
    anything) when the uploader's email is not confirmed, LogoTooLarge before decoding
    more than MAX_LOGO_BYTES, and InvalidLogo (TooManyPixels); nothing is stored or
    changed then.
    """
    if not may_upload(uploader):
        raise NotAllowed(_("Confirm your email address before you upload a logo."))
    data = read_limited(stream, int(current_app.config["MAX_LOGO_BYTES"]))
    cleaned, extension = clean_image(data)
    name = f"{secrets.token_hex(16)}.{extension}"
    (upload_folder() / name).write_bytes(cleaned)
    previous = organization.logo_filename
    organization.logo_filename = name
    db.session.flush()
    return previous


def remove_logo(organization: Organization) -> str | None:
    """Forget the organization's logo; returns the file name for ``delete_file``."""
    previous = organization.logo_filename
    organization.logo_filename = None
    db.session.flush()
    return previous


def delete_file(name: str | None) -> None:
    """Delete a logo file that is no longer used (call after the commit)."""
    if name and is_stored_name(name):
        (upload_folder() / name).unlink(missing_ok=True)


def logo_path(organization: Organization) -> tuple[Path, str] | None:
    """Where the organization's logo is, and its Content-Type; None when it has none."""
    name = organization.logo_filename
    if not name or not is_stored_name(name):
        return None
    path = upload_folder() / name
    if not path.is_file():
        return None
    return path, CONTENT_TYPES[name.rsplit(".", 1)[1]]


def is_stored_name(name: str) -> bool:
    """Only names this module made: 32 hex digits and a known extension (no paths)."""
    stem, _, extension = name.partition(".")
    return len(stem) == 32 and all(c in "0123456789abcdef" for c in stem) and extension in CONTENT_TYPES
