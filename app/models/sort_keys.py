"""Keeps ``organizations.sort_key_<lang>`` (app/sorting.py) and ``translated_names`` current
after every flush that changes an organization's name or one of its names in another language,
so no service has to remember to. Rows written without the ORM (bulk loads) call :func:`sort_keys`
themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, attributes

from app.extensions import db
from app.models.organization import Organization, OrganizationTranslation
from app.models.project import Project, ProjectTranslation
from app.sorting import SORT_LOCALES, sort_key


def sort_keys(name: str, names: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """``{"sort_key_ar": ..., ...}`` for an organization called ``name``, whose name in each
    language (the shown one, not one waiting for review) is in ``names``."""
    names = names or {}
    return {f"sort_key_{locale}": sort_key(names.get(locale) or name, locale) for locale in SORT_LOCALES}


def _changed(obj: Any, name: str) -> bool:
    return sa.inspect(obj).attrs[name].history.has_changes()


def _refresh(session: Session, flush_context: Any) -> None:
    _refresh_organizations(session)
    _refresh_projects(session)


def _refresh_projects(session: Session) -> None:
    ids = {
        obj.project_id
        for obj in [*session.new, *session.dirty, *session.deleted]
        if isinstance(obj, ProjectTranslation)
    }
    ids.discard(None)
    if not ids:
        return
    connection = session.connection()
    texts: dict[int, dict[str, dict[str, str]]] = {project_id: {} for project_id in ids}
    rows = connection.execute(
        sa.select(
            ProjectTranslation.project_id,
            ProjectTranslation.locale,
            ProjectTranslation.title,
            ProjectTranslation.summary,
        ).where(ProjectTranslation.project_id.in_(ids))
    )
    for project_id, locale, title, summary in rows:
        texts[project_id][locale] = {"title": title, "summary": summary}
    for project_id, value in texts.items():
        connection.execute(
            sa.update(Project).where(Project.id == project_id).values(translated_texts=value or None)
        )
        project = session.identity_map.get(sa.inspect(Project).identity_key_from_primary_key((project_id,)))
        if project is not None:
            attributes.set_committed_value(project, "translated_texts", value or None)


def _refresh_organizations(session: Session) -> None:
    ids = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Organization) and obj not in session.deleted:
            if obj in session.new or _changed(obj, "name"):
                ids.add(obj.id)
        elif isinstance(obj, OrganizationTranslation) and (
            obj in session.new or obj in session.deleted or _changed(obj, "name")
        ):
            ids.add(obj.organization_id)
    ids.discard(None)
    if not ids:
        return
    connection = session.connection()
    names = dict(
        connection.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )
    translated: dict[int, dict[str, str]] = {}
    rows = connection.execute(
        sa.select(
            OrganizationTranslation.organization_id,
            OrganizationTranslation.locale,
            OrganizationTranslation.name,
        ).where(OrganizationTranslation.organization_id.in_(ids), OrganizationTranslation.name.is_not(None))
    )
    for organization_id, locale, name in rows:
        translated.setdefault(organization_id, {})[locale] = name
    for organization_id, name in names.items():
        keys = sort_keys(name, translated.get(organization_id))
        keys["translated_names"] = translated.get(organization_id) or None
        connection.execute(sa.update(Organization).where(Organization.id == organization_id).values(**keys))
        organization = session.identity_map.get(
            sa.inspect(Organization).identity_key_from_primary_key((organization_id,))
        )
        if organization is not None:
            for column, value in keys.items():
                attributes.set_committed_value(organization, column, value)


sa.event.listen(db.session, "after_flush", _refresh)
