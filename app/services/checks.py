"""Checks several services make the same way: whether the actor moderates, what a reason is."""

from __future__ import annotations

from flask_babel import gettext as _

from app.models import User
from app.services import DomainError, NotAllowed

# A moderator's reason (for a decision, for hiding content) or note, as the forms allow it.
REASON_MAX_LENGTH = 2000


def require_moderator(actor: User | None, refusal: str) -> None:
    """Raises NotAllowed with ``refusal`` unless ``actor`` is a moderator (or an admin)."""
    if actor is None or not actor.is_moderator:
        raise NotAllowed(refusal)


def clean_reason(reason: str | None, *, required: bool = True) -> str:
    """The reason without surrounding blanks. Raises DomainError when it is required and
    blank, or longer than REASON_MAX_LENGTH."""
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(_("Give a reason: the organization will read it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(_("The reason may be at most %(max)d characters long.", max=REASON_MAX_LENGTH))
    return reason
