from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.i18n import current_locale
from app.notifications import bp
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
