"""Helpers shared by the membership tests (registration, account, moderation)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Organization, User

STRONG_PASSWORD = "rivers of babylon at dawn"


def registration_data(**overrides) -> dict:
    data = {
        "name": "Al-Amal Association",
        "kind": "ngo",
        "country": "IQ",
        "city": "Basra",
        "description": "We teach children to read.",
        "website": "https://amal.example.org",
        "founded_year": "2004",
        "contact_email": "info@amal.example.org",
        "contact_email_visibility": "public",
        "contact_phone": "+964 770 000 0000",
        "contact_phone_visibility": "hidden",
        "address": "Al-Ashar street",
        "address_visibility": "members",
        "contact_person": "Layla",
        "contact_person_visibility": "members",
        "email": "owner@amal.example.org",
        "password": STRONG_PASSWORD,
        "confirm": STRONG_PASSWORD,
    }
    data.update(overrides)
    return data


def row_counts(app=None) -> dict[str, int]:
    """Rows in the tables a membership refusal must leave alone (read in a context of its own
    when given the application)."""
    if app is not None:
        with app.app_context():
            return row_counts()
    db.session.expire_all()
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organization, User, AuditEntry)
    }


def link_in(message, path_prefix: str) -> str:
    """The first link in a mail body whose path starts with ``path_prefix``; returns the path."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", message.body)
    assert match, message.body
    return match.group(1)


def token_from(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]
