#!/usr/bin/env python3
"""Fail when a template or a view could render user input as markup or as a template.

Checks (run by `make lint`):

* no ``render_template_string``, ``Environment.from_string`` or ``jinja2.Template(...)`` in app/:
  a template built from a string is one mistake away from rendering user input as Jinja;
* no ``Markup(...)`` in app/ except the sanitizer's output in ``app/services/text.py`` (nh3
  has cleaned that HTML); wrapping anything else in Markup switches escaping off;
* no ``|safe`` filter and no ``{% autoescape false %}`` in templates: user data is shown
  escaped, and Markdown goes through the ``markdown`` filter, which sanitizes;
* no inline ``<script>`` blocks, ``style="..."`` attributes or ``on...=`` event handlers in
  templates: the Content-Security-Policy forbids them (script/style come from static/).

Usage: scripts/check_templates.py [project-dir]; exit status 1 with one line per finding.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

# Files allowed to call Markup(), and why.
MARKUP_ALLOWED = {
    "app/services/text.py": "wraps nh3-sanitized HTML from render_markdown",
    "app/fragments.py": "wraps HTML Jinja rendered (autoescaped) and kept in the fragment cache",
    "app/chrome.py": "wraps the page frame's parts Jinja rendered (autoescaped), with the escaped CSRF token",
}
FORBIDDEN_CALLS = {
    "render_template_string": "renders a string as a template",
    "from_string": "builds a template from a string",
}

SAFE_FILTER = re.compile(r"\|\s*safe\b")
AUTOESCAPE_OFF = re.compile(r"{%-?\s*autoescape\s+(false|False)\b")
# A JSON-LD block (type="application/ld+json") is data, never run: the CSP does not apply to it.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype=\"application/ld\+json\")[^>]*>", re.IGNORECASE
)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)


def python_findings(root: Path) -> list[str]:
    findings = []
    for path in sorted((root / "app").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    name = node.func.id
                elif isinstance(node.func, ast.Attribute):
                    name = node.func.attr
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in FORBIDDEN_CALLS:
                        findings.append(f"{relative}:{node.lineno}: imports {alias.name}")
                continue
            if name in FORBIDDEN_CALLS:
                findings.append(f"{relative}:{node.lineno}: {name}() {FORBIDDEN_CALLS[name]}")
            elif name == "Template" and isinstance(node.func, ast.Attribute):
                findings.append(f"{relative}:{node.lineno}: Template() builds a template from a string")
            elif name == "Markup" and relative not in MARKUP_ALLOWED:
                findings.append(f"{relative}:{node.lineno}: Markup() turns escaping off; let Jinja escape")
    return findings


def template_findings(root: Path) -> list[str]:
    findings = []
    for path in sorted((root / "templates").rglob("*.html")):
        relative = path.relative_to(root).as_posix()
        text = JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
        checks = (
            (SAFE_FILTER, "|safe shows data unescaped; use the markdown filter or plain {{ }}"),
            (AUTOESCAPE_OFF, "autoescape false shows data unescaped"),
            (INLINE_SCRIPT, "inline <script>: the CSP blocks it; put the code in static/js/"),
            (STYLE_BLOCK, "inline <style>: the CSP blocks it; put the rules in static/css/"),
            (STYLE_ATTRIBUTE, 'style="..." attribute: the CSP blocks it; use a class'),
            (EVENT_HANDLER, "on...= event handler: the CSP blocks it; attach it from static/js/"),
        )
        for pattern, message in checks:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                findings.append(f"{relative}:{line}: {message}")
    return findings


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent)
    findings = python_findings(root) + template_findings(root)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} template-safety finding(s).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
