"""Where the member is logged in (and ending those sessions), and who looked at the
organization's private contact details."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app import labels, security
from app.access import member_required
from app.account import bp
from app.services import access_log, login_sessions


@bp.get("/sessions")
@login_required
def sessions():
    current_id = security.current_login_session_id()
    records = login_sessions.active_sessions(current_user, security.session_now())
    rows = [
        {
            "id": record.id,
            "current": record.id == current_id,
            "browser": labels.login_browser(record),
            "place": labels.login_place(record),
            "network": record.network,
            "started": record.created_at,
            "last_used": record.last_seen_at,
            "remembered": record.remember,
        }
        for record in records
    ]
    # This browser first, then the most recently used.
    rows.sort(key=lambda row: not row["current"])
    return render_template("account/sessions.html", rows=rows, others=sum(not row["current"] for row in rows))


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    try:
        login_sessions.end_session(current_user, session_id, security.session_now())
    except login_sessions.SessionNotFound:
        abort(404)
    if session_id == security.current_login_session_id():
        logout_user()
        flash(_("This session has ended. Please log in again."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That session has ended: its browser is logged out at its next request."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    ended = login_sessions.end_other_sessions(
        current_user, security.current_login_session_id(), security.session_now()
    )
    if ended:
        flash(_("Every other session has ended. Only this browser is still logged in."), "success")
    else:
        flash(_("No other session was open."), "info")
    return redirect(url_for("account.sessions"))


@bp.get("/access-log")
@member_required
def access_log_page():
    page = access_log.access_log_page(current_user.organization, page=request.args.get("page", 1, type=int))
    return render_template("account/access_log.html", page=page, organization=current_user.organization)
