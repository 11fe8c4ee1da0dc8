"""Organization logos: checked by content, re-encoded, stored under a random name.

An upload is never trusted as sent. It must be at most 2 MB and open with Pillow as
PNG, JPEG, WebP or GIF (its name and declared type are ignored). Only its pixels are
kept: a new image is built from them and encoded again, so EXIF (GPS positions,
camera serials), comments, colour-profile tricks and anything appended after the
image data (HTML or script "polyglots") are left behind. The file is stored under a
random name in ``UPLOAD_FOLDER``, outside ``static/``, and served by a view that sets
its type.
"""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from app.extensions import db
from app.models import Organization
from app.services import DomainError

# Format Pillow detects -> (format written, file extension, Content-Type served).
# A GIF keeps its first frame only, as a PNG: no animation, no palette tricks.
OUTPUT_FORMATS = {
    "PNG": ("PNG", "png", "image/png"),
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "WEBP": ("WEBP", "webp", "image/webp"),
    "GIF": ("PNG", "png", "image/png"),
}
CONTENT_TYPES = {extension: content_type for _, extension, content_type in OUTPUT_FORMATS.values()}
MAX_SIDE = 1024  # logos are shown small; a larger image is scaled down
MAX_SOURCE_PIXELS = 40_000_000  # refuse "decompression bombs" before decoding them


class InvalidLogo(DomainError):
    """The upload is not an image we accept."""


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

    Raises InvalidLogo when ``data`` is not a PNG, JPEG, WebP or GIF image.
    """
    refused = InvalidLogo(_("This file is not an image we can use. Upload a PNG, JPEG, WebP or GIF."))
    if not data:
        raise refused
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                detected = probe.format
                if detected not in OUTPUT_FORMATS:
                    raise refused
                if probe.width * probe.height > MAX_SOURCE_PIXELS:
                    raise refused
                probe.verify()
            # verify() leaves the image unusable: open it again to read the pixels.
            with Image.open(BytesIO(data)) as image:
                image.seek(0)
                image.load()
                pixels = _pixels_only(image)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise refused from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
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


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding nothing but the source's pixels (no metadata at all)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    converted.thumbnail((MAX_SIDE, MAX_SIDE))
    return Image.frombytes(mode, converted.size, converted.tobytes())


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """At most ``limit`` bytes. Raises LogoTooLarge when the stream holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LogoTooLarge(_("The logo may be at most %(mb)d MB.", mb=limit // (1024 * 1024)))
    return data


def replace_logo(organization: Organization, stream: IO[bytes]) -> str | None:
    """Check, clean and store a new logo for the organization.

    Returns the previous logo's file name: the caller deletes it with
    ``delete_file`` once the change is committed. Raises LogoTooLarge and
    InvalidLogo; nothing is stored or changed then.
    """
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
