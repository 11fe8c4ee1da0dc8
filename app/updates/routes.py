"""Updates: posted by a campaign's coordinators and by a project's organization; edited (with a
history), deleted with a reason; a campaign's updates as an Atom feed.

Who may post, edit and delete is decided by the services (app/services/coordinators.py and
app/services/updates.py); an update the viewer may not edit answers 404 on its edit pages, so a
deleted update cannot be told from one that never existed.
"""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import transactions
from app.i18n import current_locale
from app.models import Update
from app.services import DomainError, directory, translations
from app.services import updates as update_service
from app.services.coordinators import may_coordinate
from app.services.text import render_markdown
from app.services.tokens import external_url
from app.updates import bp
from app.updates.forms import DeleteUpdateForm, UpdateForm


def _campaign_or_404(slug: str):
    campaign = directory.get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


def _editable_or_404(update_id: int, may=update_service.may_edit) -> Update:
    update = update_service.get_update(update_id)
    if update is None or not may(current_user, update):
        abort(404)
    return update


def _back_to(update: Update) -> str:
    if update.campaign is not None:
        return url_for("campaigns.detail", slug=update.campaign.slug) + f"#update-{update.id}"
    return url_for("projects.detail", key=update.project.slug) + "#updates"


def _form_page(form: UpdateForm, **context):
    status = 400 if form.is_submitted() else 200
    return render_template("updates/form.html", form=form, **context), status


@bp.route("/campaigns/<slug>/updates/new", methods=["GET", "POST"])
@login_required
def new_campaign_update(slug: str):
    campaign = _campaign_or_404(slug)
    if not may_coordinate(current_user, campaign):
        abort(403)
    form = UpdateForm()
    form.set_project_choices(update_service.linkable_projects(campaign))
    if form.validate_on_submit():
        try:
            update = update_service.post_campaign_update(
                campaign, current_user, form.texts(), project_id=form.chosen_project_id(),
                preferred_locale=current_locale(),
            )  # fmt: skip
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your update is published."), "success")
            return redirect(_back_to(update))
    return _form_page(form, campaign=translations.localized_campaign(campaign, current_locale()), update=None)


@bp.route("/projects/<key>/updates/new", methods=["GET", "POST"])
@login_required
def new_project_update(key: str):
    project = directory.get_project(key, current_user)
    if project is None:
        abort(404)
    if not update_service.may_post_on_project(current_user, project):
        abort(403)
    form = UpdateForm()
    del form.project_id
    if form.validate_on_submit():
        try:
            update = update_service.post_project_update(
                project, current_user, form.texts(), preferred_locale=current_locale()
            )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your update is published."), "success")
            return redirect(_back_to(update))
    return _form_page(form, project=translations.localized_project(project, current_locale()), update=None)


@bp.route("/updates/<int:update_id>/edit", methods=["GET", "POST"])
@login_required
def edit(update_id: int):
    update = _editable_or_404(update_id)
    form = UpdateForm()
    if update.campaign is not None:
        form.set_project_choices(update_service.linkable_projects(update.campaign))
    else:
        del form.project_id
    if not form.is_submitted():
        form.fill_from(update)
    if form.validate_on_submit():
        try:
            project_id = form.chosen_project_id() if update.campaign is not None else None
            update_service.edit_update(update, current_user, form.texts(), project_id=project_id)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The update is saved; its former text is kept in its history."), "success")
            return redirect(_back_to(update))
    return _form_page(form, update=update)


@bp.route("/updates/<int:update_id>/delete", methods=["GET", "POST"])
@login_required
def delete(update_id: int):
    update = _editable_or_404(update_id, update_service.may_delete)
    form = DeleteUpdateForm()
    if form.validate_on_submit():
        try:
            update_service.hide_update(update, current_user, form.reason.data)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The update is deleted."), "success")
            return redirect(_back_to(update))
    status = 400 if form.is_submitted() else 200
    text = update.text_in(current_locale())
    return render_template("updates/delete.html", form=form, update=update, text=text), status


@bp.post("/updates/<int:update_id>/restore")
@login_required
def restore(update_id: int):
    update = _editable_or_404(update_id)
    try:
        update_service.unhide_update(update, current_user, request.form.get("reason", "")[:1000])
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        flash(_("The update is shown again."), "success")
    return redirect(url_for("updates.history", update_id=update.id))


@bp.get("/updates/<int:update_id>/history")
@login_required
def history(update_id: int):
    update = _editable_or_404(update_id)
    return render_template(
        "updates/history.html",
        update=update,
        text=update.text_in(current_locale()),
        revisions=update_service.history(update),
    )


@bp.get("/campaigns/<slug>/updates.atom")
def campaign_feed(slug: str):
    """The campaign's updates anyone may see, as an Atom feed in the reader's language."""
    campaign = _campaign_or_404(slug)
    locale = current_locale()
    text = translations.localized_campaign(campaign, locale)
    page_url = external_url("campaigns.detail", slug=campaign.slug)
    feed = FeedGenerator()
    feed.id(external_url("updates.campaign_feed", slug=campaign.slug))
    feed.title(_("Updates: %(campaign)s", campaign=text.title))
    feed.subtitle(text.summary)
    feed.language(locale)
    feed.link(href=page_url, rel="alternate")
    feed.link(href=external_url("updates.campaign_feed", slug=campaign.slug), rel="self")
    shown = update_service.localized(update_service.feed_updates(campaign), locale)
    feed.updated(max((u.updated_at for u in shown), default=campaign.updated_at))
    for update in reversed(shown):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(f"{page_url}#update-{update.id}")
        entry.title(update.title)
        entry.link(href=f"{page_url}#update-{update.id}", rel="alternate")
        entry.published(update.created_at)
        entry.updated(update.updated_at)
        entry.author(name=update.organization.name_in(locale) if update.organization else _("Tadamun"))
        entry.content(str(render_markdown(update.body)), type="html")
    return Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")
