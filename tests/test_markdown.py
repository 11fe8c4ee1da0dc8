"""Member-written Markdown is rendered to a safe subset: nothing hostile survives."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Project
from app.services.text import render_markdown
from tests.builders import make_campaign, make_user
from tests.conftest import app_context, scalars

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.png)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "<form action=https://evil.example><input name=password></form>",
    "<!-- <script>alert(1)</script> -->",
    "```\n<script>alert(1)</script>\n```",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

DANGEROUS_TAG = re.compile(r"<\s*(script|img|iframe|svg|style|form|input|math|div|object|embed)\b", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.I)
BAD_URL = re.compile(r"""<[^>]*\b(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):""", re.I)


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_harmless(source):
    html = str(render_markdown(source))
    assert not DANGEROUS_TAG.search(html), html
    assert not EVENT_HANDLER.search(html), html
    assert not BAD_URL.search(html), html
    assert "<a " not in html or 'rel="nofollow ugc noopener"' in html


def test_safe_markdown_keeps_its_formatting():
    html = str(render_markdown("# Title\n\n**bold**, *it*, [site](https://isf.example)\n\n- one\n- two"))
    assert '<h3 dir="auto">Title</h3>' in html  # never outranks the page's own headings
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://isf.example" rel="nofollow ugc noopener">site</a>' in html
    assert '<li dir="auto">one</li>' in html


def test_each_block_of_markdown_takes_its_own_direction():
    html = str(render_markdown("نص عربي.\n\n> A quote in English.\n\nEnglish text."))
    assert '<p dir="auto">نص عربي.</p>' in html
    assert '<blockquote dir="auto">' in html
    assert '<p dir="auto">English text.</p>' in html


def test_hostile_project_description_is_sanitized_on_the_project_page(app, client, auth):
    with app_context(app):
        campaign_id = make_campaign().id
        member_email = make_user().email
        db.session.commit()
    auth.login(member_email)
    description = "\n\n".join(HOSTILE)
    client.post(
        "/projects/new",
        data={
            "title": "Hostile",
            "description": description,
            "status": "running",
            "campaigns": [str(campaign_id)],
        },
    )
    [project] = scalars(app, sa.select(Project))
    assert project.description == description  # stored as written, sanitized when shown
    page = client.get(f"/projects/{project.slug}").get_data(as_text=True)
    body = page.split('id="main"', 1)[1]
    assert not re.search(r"<script>alert", body)
    assert not EVENT_HANDLER.search(body)
    assert not BAD_URL.search(body)
