"""Organization logos: real images only, cleaned of hidden data, served safely."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image, ImageFile, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import Organization, OrganizationStatus
from tests.builders import DEFAULT_PASSWORD, make_moderator, make_organization, make_user
from tests.conftest import app_context, empty_all_tables, scalar

PROJECT_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PROJECT_DIR / "static"


def image_bytes(format_: str = "PNG", size=(64, 48), color="teal", **save_options) -> bytes:
    buffer = BytesIO()
    mode = "RGBA" if format_ in ("PNG", "WEBP") else "RGB"
    Image.new(mode, size, color).save(buffer, format=format_, **save_options)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "Serial-12345"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (33.0, 18.0, 44.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (44.0, 21.0, 58.0),
    }
    data = image_bytes("JPEG", exif=exif)
    with Image.open(BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really carries GPS
    return data


@pytest.fixture
def member(app, client, auth):
    with app_context(app):
        org = make_organization("Tigris Friends", slug="tigris-friends")
        user = make_user(org, email="owner@tigris.example")
        db.session.commit()
    auth.login("owner@tigris.example")
    return user


def logo_filename(app, organization_id: int) -> str | None:
    """The organization's logo file, as the database holds it now."""
    return scalar(app, sa.select(Organization.logo_filename).where(Organization.id == organization_id))


def upload(client, data: bytes, filename: str = "logo.png"):
    # Encoded in memory: the test client would otherwise spool big bodies to a temporary
    # file that it never closes.
    boundary, body = encode_multipart({"logo": FileStorage(BytesIO(data), filename=filename)})
    return client.post("/account/logo", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(folder.iterdir()) if folder.exists() else []


def test_member_uploads_a_logo_that_is_then_shown_on_the_profile(app, client, member):
    response = upload(client, image_bytes("PNG"))

    assert response.status_code == 302
    assert logo_filename(app, member.organization_id)
    served = client.get("/organizations/tigris-friends/logo")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(served.data)) as image:
        assert image.format == "PNG"
        assert image.size == (64, 48)


def test_logo_is_stored_under_a_random_name_outside_static(app, client, member):
    upload(client, image_bytes("PNG"), filename="../../static/evil.html")

    name = logo_filename(app, member.organization_id)
    assert name != "evil.html" and "/" not in name and ".." not in name
    assert len(name.partition(".")[0]) == 32
    files = stored_files(app)
    assert [f.name for f in files] == [name]
    assert STATIC_DIR not in files[0].resolve().parents


def test_exif_and_gps_are_stripped(app, client, member):
    response = upload(client, jpeg_with_gps(), filename="photo.jpg")

    assert response.status_code == 302
    (stored,) = stored_files(app)
    raw = stored.read_bytes()
    assert b"SecretCam" not in raw and b"Serial-12345" not in raw
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in image.info


def test_png_text_chunks_are_stripped(app, client, member):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 12 Hidden Street")
    upload(client, image_bytes("PNG", pnginfo=info))

    (stored,) = stored_files(app)
    assert b"Hidden Street" not in stored.read_bytes()


@pytest.mark.parametrize("format_", ["JPEG", "WEBP", "GIF"])
def test_each_accepted_format_is_re_encoded(app, client, member, format_):
    assert upload(client, image_bytes(format_), filename=f"logo.{format_.lower()}").status_code == 302
    (stored,) = stored_files(app)
    expected = {"JPEG": "JPEG", "WEBP": "WEBP", "GIF": "PNG"}[format_]
    with Image.open(stored) as image:
        assert image.format == expected


def test_an_animated_gif_keeps_its_first_frame_only(app, client, member):
    frames = [Image.new("P", (20, 20), i) for i in (1, 2, 3)]
    buffer = BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    assert upload(client, buffer.getvalue(), filename="moving.gif").status_code == 302
    (stored,) = stored_files(app)
    with Image.open(stored) as image:
        assert image.format == "PNG"
        assert getattr(image, "n_frames", 1) == 1


def test_a_huge_image_is_scaled_down(app, client, member):
    upload(client, image_bytes("PNG", size=(3000, 200)))
    (stored,) = stored_files(app)
    with Image.open(stored) as image:
        assert max(image.size) <= 1024


REFUSED_UPLOADS = {
    "text named .png": (b"just some text, not a picture", "logo.png"),
    "html named .png": (b"<!doctype html><html><script>alert(1)</script></html>", "logo.png"),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "logo.svg",
    ),
    "gif header with html": (b"GIF89a/*<html><script>alert(document.cookie)</script>*/", "logo.gif"),
    "png header then html": (b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "logo.png"),
    "truncated jpeg": (image_bytes("JPEG")[:60], "logo.jpg"),
    "empty file": (b"", "logo.png"),
    "bmp": (image_bytes("BMP"), "logo.bmp"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_UPLOADS))
def test_anything_but_a_real_image_is_refused_and_nothing_stored(app, client, member, case):
    data, filename = REFUSED_UPLOADS[case]

    response = upload(client, data, filename)

    assert response.status_code == 400
    assert "not an image we can use" in response.get_data(as_text=True) or case == "empty file"
    assert logo_filename(app, member.organization_id) is None
    assert stored_files(app) == []


def test_a_polyglot_image_with_html_appended_keeps_only_the_picture(app, client, member):
    data = image_bytes("PNG") + b"<html><script>alert(document.cookie)</script></html>"

    assert upload(client, data).status_code == 302
    (stored,) = stored_files(app)
    assert b"<script" not in stored.read_bytes()
    served = client.get("/organizations/tigris-friends/logo")
    assert b"<script" not in served.data
    assert "sandbox" in served.headers["Content-Security-Policy"]


@pytest.mark.parametrize("size", [2 * 1024 * 1024 + 1, 3 * 1024 * 1024])
def test_a_logo_over_2_mb_is_refused_with_413(app, client, member, size):
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\0" * size)

    assert response.status_code == 413
    assert logo_filename(app, member.organization_id) is None
    assert stored_files(app) == []


def test_the_too_large_page_names_the_configured_logo_limit(app, client, member):
    app.config["MAX_LOGO_BYTES"] = 1024 * 1024

    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1))

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "at most 1 MB" in page and "2 MB" not in page


def test_a_new_logo_replaces_the_old_file(app, client, member):
    upload(client, image_bytes("PNG", color="red"))
    (first,) = stored_files(app)
    upload(client, image_bytes("PNG", color="blue"))
    (second,) = stored_files(app)
    assert first.name != second.name


def test_member_removes_the_logo(app, client, member):
    upload(client, image_bytes("PNG"))
    response = client.post("/account/logo/remove")

    assert response.status_code == 302
    assert logo_filename(app, member.organization_id) is None
    assert stored_files(app) == []
    assert client.get("/organizations/tigris-friends/logo").status_code == 404


def test_visitors_must_log_in_to_upload(client):
    response = upload(client, image_bytes("PNG"))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_a_pending_organization_logo_is_visible_only_to_its_members_and_moderators(app, client, auth):
    with app_context(app):
        org = make_organization("Waiting Org", slug="waiting-org", status=OrganizationStatus.PENDING)
        make_user(org, email="pending@example.org")
        other = make_user(email="other@example.org")
        make_moderator("mod@example.org")
        db.session.commit()
    auth.login("pending@example.org")
    assert upload(client, image_bytes("PNG")).status_code == 302
    assert client.get("/organizations/waiting-org/logo").status_code == 200
    auth.logout()

    assert client.get("/organizations/waiting-org/logo").status_code == 404
    auth.login(other.email)
    assert client.get("/organizations/waiting-org/logo").status_code == 404
    auth.logout()
    auth.login("mod@example.org")
    preview = client.get("/organizations/waiting-org/logo")
    assert preview.status_code == 200
    assert "no-store" in preview.headers["Cache-Control"]


def test_a_suspended_organization_cannot_change_its_logo(app, client, auth):
    with app_context(app):
        org = make_organization("Stopped", status=OrganizationStatus.SUSPENDED)
        make_user(org, email="stopped@example.org")
        db.session.commit()
    auth.login("stopped@example.org")

    assert upload(client, image_bytes("PNG")).status_code == 403
    assert stored_files(app) == []


def test_unknown_organization_or_no_logo_is_404(app, client):
    with app_context(app):
        make_organization("No Logo", slug="no-logo")
        db.session.commit()
    assert client.get("/organizations/no-logo/logo").status_code == 404
    assert client.get("/organizations/nobody/logo").status_code == 404


# Decompression cost: what a small file may make the server decode --------------------------------


def blank_png(width: int, height: int, *, bit_depth: int = 8, color_type: int = 6) -> bytes:
    """A valid PNG of blank pixels, written row by row: even a huge one costs the test no memory.

    ``color_type`` is PNG's: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row = b"\0" + bytes(width * channels * bit_depth // 8)  # filter byte "none", then the pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    palette = chunk(b"PLTE", bytes(3 * 256)) if color_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + palette + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "bit_depth", "named"),
    [
        (6300, 6300, 16, "far too many pixels"),  # the tester's file: 40 megapixels of 16-bit grey
        (5000, 4000, 8, "5000 by 4000 pixels"),  # a camera photo: its size is named
    ],
)
def test_an_image_beyond_16_megapixels_is_refused_quickly_with_a_clear_message(
    app, client, member, monkeypatch, width, height, bit_depth, named
):
    bomb = blank_png(width, height, bit_depth=bit_depth, color_type=0)
    assert len(bomb) < 2 * 1024 * 1024  # small enough to pass the size check: only its pixels give it away
    # Quickly means from the header alone: not one pixel of it is decoded (Pillow decodes in
    # ImageFile.load). Watched rather than timed, so that a busy machine cannot fail it.
    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or load(image))

    response = upload(client, bomb)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert named in page and "at most 16 megapixels (for example 4000 by 4000)" in page
    assert decoded == [], "the pixels were decoded"
    assert logo_filename(app, member.organization_id) is None
    assert stored_files(app) == []


def test_a_webp_beyond_6_megapixels_is_refused(app, client, member):
    response = upload(client, image_bytes("WEBP", size=(3000, 2001)), filename="logo.webp")

    assert response.status_code == 400
    assert "a WebP logo may have at most 6 megapixels" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_pillow_itself_refuses_images_far_beyond_the_logo_cap():
    from app.services import logos

    assert Image.MAX_IMAGE_PIXELS == logos.MAX_LOGO_PIXELS == 16_000_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(BytesIO(blank_png(6000, 6000, color_type=0)))


# Just under the cap, in each format and pixel layout that costs the most to decode.
def _worst_png_rgba_16_bit() -> bytes:
    return blank_png(4000, 4000, bit_depth=16, color_type=6)


def _worst_png_grey_16_bit() -> bytes:
    return blank_png(4000, 4000, bit_depth=16, color_type=0)


def _worst_png_palette() -> bytes:
    return blank_png(4000, 4000, color_type=3)


def _worst_webp() -> bytes:
    # WebP has a lower cap (6 megapixels): Pillow decodes it at full size, several times over.
    return image_bytes("WEBP", size=(3000, 2000), color=(0, 128, 128, 100), lossless=True)


def _worst_gif() -> bytes:
    buffer = BytesIO()
    Image.new("P", (4000, 4000), 1).save(buffer, format="GIF")
    return buffer.getvalue()


def _worst_jpeg() -> bytes:
    buffer = BytesIO()
    Image.new("CMYK", (4000, 4000), (0, 0, 0, 0)).save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


WORST_ACCEPTED = {
    "png rgba 16-bit": _worst_png_rgba_16_bit,
    "png grey 16-bit": _worst_png_grey_16_bit,
    "png palette": _worst_png_palette,
    "webp rgba": _worst_webp,
    "gif": _worst_gif,
    "jpeg cmyk": _worst_jpeg,
}

# Run in a fresh interpreter: Pillow decodes in C, out of tracemalloc's sight, and the test
# process's own high-water mark would hide a smaller peak. Linux resets a process's peak
# resident size (VmHWM) when 5 is written to clear_refs: the peak measured is then the
# processing's own, above what the process already held. Sizes are in kilobytes.
MEASURE = """
import re, sys
from pathlib import Path
from app.services.logos import clean_image
def status(name):
    return int(re.search(name + r":\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
data = Path(sys.argv[1]).read_bytes()
Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS")
cleaned, extension = clean_image(data)
print(status("VmHWM") - before, len(cleaned), extension)
"""


@pytest.mark.parametrize("case", sorted(WORST_ACCEPTED))
@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="measures memory the Linux way")
def test_the_costliest_accepted_logo_stays_within_150_mb_of_memory(tmp_path, case):
    data = WORST_ACCEPTED[case]()
    assert len(data) <= 2 * 1024 * 1024
    with Image.open(BytesIO(data)) as probe:
        # Exactly at the cap: accepted.
        assert probe.width * probe.height == (6_000_000 if probe.format == "WEBP" else 16_000_000)
    source = tmp_path / "logo"
    source.write_bytes(data)

    finished = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", MEASURE, str(source)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-2000:]
    growth_kb, size, extension = finished.stdout.split()
    assert int(growth_kb) < 150 * 1024, f"{case}: peak memory grew by {int(growth_kb) // 1024} MB"
    assert int(size) < 1024 * 1024 and extension in ("png", "jpg", "webp")


def test_a_member_whose_email_is_not_confirmed_cannot_upload_a_logo(app, client, auth):
    with app_context(app):
        org = make_organization("Unconfirmed Friends", slug="unconfirmed-friends")
        make_user(org, email="new@unconfirmed.example", confirmed=False)
        db.session.commit()
    auth.login("new@unconfirmed.example")

    page = client.get("/account/logo")
    assert page.status_code == 200
    assert "Confirm your email address" in page.get_data(as_text=True)
    response = upload(client, image_bytes("PNG"))

    assert response.status_code == 403
    assert "Confirm your email address" in response.get_data(as_text=True)
    assert logo_filename(app, org.id) is None
    assert stored_files(app) == []


@pytest.fixture
def limited_app(make_app):
    application = make_app(RATELIMIT_ENABLED=True, LOGO_UPLOAD_RATE_LIMIT="2 per minute")
    yield application
    with application.app_context():
        db.session.remove()
        empty_all_tables()


def _logged_in(application, email: str, address: str):
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD})
    return client


def test_logo_uploads_are_rate_limited_per_user_whatever_the_address(limited_app):
    with app_context(limited_app):
        make_user(make_organization("Busy Org"), email="busy@example.org")
        db.session.commit()
    first = _logged_in(limited_app, "busy@example.org", "192.0.2.1")
    second = _logged_in(limited_app, "busy@example.org", "192.0.2.2")

    assert upload(first, image_bytes("PNG")).status_code == 302
    assert upload(first, b"not an image").status_code == 400  # refused uploads count too
    assert upload(second, image_bytes("PNG")).status_code == 429
    assert first.get("/account/logo").status_code == 200  # reading the form is not limited


def test_logo_uploads_are_rate_limited_per_address_whatever_the_user(limited_app):
    with app_context(limited_app):
        for name in ("one", "two"):
            make_user(make_organization(f"Org {name}"), email=f"{name}@example.org")
        db.session.commit()
    one = _logged_in(limited_app, "one@example.org", "192.0.2.9")
    two = _logged_in(limited_app, "two@example.org", "192.0.2.9")

    assert upload(one, image_bytes("PNG")).status_code == 302
    assert upload(one, image_bytes("PNG")).status_code == 302
    assert upload(two, image_bytes("PNG")).status_code == 429
