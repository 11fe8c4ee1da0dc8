"""Follow and unfollow; a visitor's email follow and its confirmation; unsubscribing.

The unsubscribe POST takes no CSRF token: the signed link is its authority, and mail programs
send RFC 8058's one-click POST (``List-Unsubscribe=One-Click``) without any page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import transactions
from app.access import rate_limited
from app.extensions import csrf
from app.following import bp
from app.following.forms import ConfirmForm, FollowByEmailForm
from app.i18n import current_locale
from app.services import DomainError, tokens
from app.services import following as follow_service

KINDS = "any(campaign, organization, project)"
PAGE_OF = {
    "campaign": "campaigns.detail",
    "organization": "organizations.detail",
    "project": "projects.detail",
}


def _page_of(kind: str, slug: str) -> str:
    argument = "key" if kind == "project" else "slug"
    return url_for(PAGE_OF[kind], **{argument: slug})


def _subject_or_404(kind: str, key: str):
    subject = follow_service.find_subject(kind, key, current_user)
    if subject is None:
        abort(404)
    return subject


@bp.post(f"/follow/<{KINDS}:kind>/<key>")
@login_required
def follow(kind: str, key: str):
    subject = _subject_or_404(kind, key)
    try:
        follow_service.follow(current_user, kind, subject)
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        flash(_("You follow it now. You can stop from your dashboard."), "success")
    return redirect(_page_of(kind, subject.slug) + "#follow")


@bp.post(f"/unfollow/<{KINDS}:kind>/<key>")
@login_required
def unfollow(kind: str, key: str):
    subject = follow_service.find_subject(kind, key, current_user)
    if subject is None:
        abort(404)
    follow_service.unfollow(current_user, kind, subject)
    flash(_("You no longer follow it."), "success")
    target = request.form.get("back")
    if target == "list":
        return redirect(url_for("following.list_follows"))
    return redirect(_page_of(kind, subject.slug) + "#follow")


@bp.route(f"/follow/<{KINDS}:kind>/<key>/email", methods=["GET", "POST"])
@rate_limited
def follow_by_email(kind: str, key: str):
    subject = _subject_or_404(kind, key)
    form = FollowByEmailForm()
    if form.validate_on_submit():
        try:
            follow_service.request_follow_by_email(form.email.data, kind, subject, current_locale())
        except DomainError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            # The same answer for every address: nobody learns whether one already follows.
            return render_template("following/check_mail.html", kind=kind, slug=subject.slug)
    status = 400 if form.is_submitted() else 200
    return render_template("following/follow_by_email.html", form=form, kind=kind, subject=subject), status


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        pending = follow_service.read_confirmation(token)
    except tokens.InvalidToken as error:
        return render_template("following/link_problem.html", message=str(error)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        follow_service.confirm_follow(token, form.frequency.data)
        return render_template("following/confirmed.html", pending=pending)
    return render_template("following/confirm.html", form=form, pending=pending)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    try:
        rows = follow_service.follows_of_token(token)
    except tokens.InvalidToken as error:
        return render_template("following/link_problem.html", message=str(error)), 400
    if request.method == "POST":
        follow_service.unsubscribe(token)
        return render_template("following/unsubscribed.html")
    return render_template("following/unsubscribe.html", rows=rows)


@bp.post(f"/following/<{KINDS}:kind>/<key>/frequency")
@login_required
def set_frequency(kind: str, key: str):
    subject = follow_service.find_subject(kind, key, current_user)
    if subject is None:
        abort(404)
    try:
        follow_service.set_frequency(current_user, kind, subject, request.form.get("frequency", ""))
    except DomainError as error:
        transactions.refused()  # answered with a redirect and the message
        flash(str(error), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("following.list_follows"))


@bp.get("/following/")
@login_required
def list_follows():
    return render_template(
        "following/list.html", follows=follow_service.follows_of(current_user, current_locale())
    )
