from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.i18n import current_locale
from app.notifications import bp
from app.notifications.forms import settings_form
from app.services import notifications


@bp.get("/notifications/")
@login_required
def index():
    data = notifications.page(current_user, current_locale(), request.args.get("page", 1, type=int))
    return render_template("notifications/index.html", **data)


@bp.post("/notifications/read")
@login_required
def mark_read():
    notifications.mark_read(current_user)
    flash(_("All marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    kinds = notifications.kinds_for(current_user)
    form = settings_form(kinds, notifications.choices_of(current_user))
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_settings(form, kinds), 400
        notifications.set_choices(current_user, {kind: form[kind].data for kind in kinds})
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return _render_settings(form, kinds)


def _render_settings(form, kinds):
    return render_template(
        "notifications/settings.html",
        form=form,
        kinds=kinds,
        bounced=notifications.is_bounced(current_user.email),
    )
