from flask import Blueprint, render_template

from app.auth.decorators import moderator_required

bp = Blueprint("moderation", __name__)


@bp.get("/")
@moderator_required
def queue():
    return render_template("moderation/queue.html", page=None)
