"""Organization logos: real images only, cleaned of hidden data, served safely."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import OrganizationStatus
from tests.builders import make_moderator, make_organization, make_user

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


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
    org = make_organization("Tigris Friends", slug="tigris-friends")
    user = make_user(org, email="owner@tigris.example")
    db.session.commit()
    auth.login("owner@tigris.example")
    return user


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
    org = member.organization
    db.session.refresh(org)
    assert org.logo_filename
    served = client.get("/organizations/tigris-friends/logo")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(served.data)) as image:
        assert image.format == "PNG"
        assert image.size == (64, 48)


def test_logo_is_stored_under_a_random_name_outside_static(app, client, member):
    upload(client, image_bytes("PNG"), filename="../../static/evil.html")

    db.session.refresh(member.organization)
    name = member.organization.logo_filename
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
    db.session.refresh(member.organization)
    assert member.organization.logo_filename is None
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
    db.session.refresh(member.organization)
    assert member.organization.logo_filename is None
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
    db.session.refresh(member.organization)
    assert member.organization.logo_filename is None
    assert stored_files(app) == []
    assert client.get("/organizations/tigris-friends/logo").status_code == 404


def test_visitors_must_log_in_to_upload(client):
    response = upload(client, image_bytes("PNG"))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_a_pending_organization_logo_is_visible_only_to_its_members_and_moderators(app, client, auth):
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
    org = make_organization("Stopped", status=OrganizationStatus.SUSPENDED)
    make_user(org, email="stopped@example.org")
    db.session.commit()
    auth.login("stopped@example.org")

    assert upload(client, image_bytes("PNG")).status_code == 403
    assert stored_files(app) == []


def test_unknown_organization_or_no_logo_is_404(app, client):
    make_organization("No Logo", slug="no-logo")
    db.session.commit()
    assert client.get("/organizations/no-logo/logo").status_code == 404
    assert client.get("/organizations/nobody/logo").status_code == 404
