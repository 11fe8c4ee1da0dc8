"""One request, one commit: the request layer (app/transactions.py) ends every transaction.

A view writes through services and answers; it never commits. The answer decides: a success or a
redirect keeps what the request wrote, a refusal (4xx), an exception or a failed commit keeps
nothing, unless the view marks the refusal's own bookkeeping to be kept.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import redirect

from app import db_session, transactions
from app.extensions import db
from app.models import Campaign
from app.services import DomainError, NotAllowed
from tests import builders
from tests.conftest import empty_all_tables


def _unflushed_campaign(slug: str) -> Campaign:
    campaign = Campaign(title=f"Campaign {slug}", slug=slug, summary="S", description="D", position=1)
    db.session.add(campaign)
    return campaign


@pytest.fixture
def tx_app(make_app):
    application = make_app()
    ran: list[str] = []
    application.ran = ran

    @application.post("/_test/<answer>")
    def write(answer: str):
        builders.make_campaign("Written by the view")
        transactions.after_commit(lambda: ran.append("after commit"))
        if answer == "ok":
            return "done", 200
        if answer == "redirect":
            return redirect("/", 303)
        if answer == "form-errors":
            return "shown again with its errors", 400
        if answer == "refusal-recorded":
            transactions.commit_even_if_refused()
            return "refused, and the refusal counted", 400
        if answer == "refused-redirect":
            transactions.refused()
            return redirect("/", 303)
        if answer == "not-allowed":
            raise NotAllowed("Only members of an approved organization may do this.")
        if answer == "domain-error":
            raise DomainError("This campaign is archived.")
        raise RuntimeError("a bug")

    @application.get("/_test/read")
    def read():
        builders.make_campaign("Written by a page that only reads")
        return "read"

    @application.post("/_test/conflict")
    def conflict():
        # Not flushed: the unique slug breaks only when the request commits.
        _unflushed_campaign("same")
        _unflushed_campaign("same")
        return "done"

    yield application
    with application.app_context():
        empty_all_tables()


def campaigns_in(application) -> int:
    with application.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))


@pytest.mark.parametrize(("answer", "status"), [("ok", 200), ("redirect", 303)])
def test_a_view_that_answers_normally_commits(tx_app, answer, status):
    assert tx_app.test_client().post(f"/_test/{answer}").status_code == status
    assert campaigns_in(tx_app) == 1
    assert tx_app.ran == ["after commit"]


def test_an_exception_rolls_back_and_writes_nothing(tx_app):
    assert tx_app.test_client().post("/_test/bug").status_code == 500
    assert campaigns_in(tx_app) == 0
    assert tx_app.ran == []


def test_a_form_shown_again_with_its_errors_writes_nothing(tx_app):
    assert tx_app.test_client().post("/_test/form-errors").status_code == 400
    assert campaigns_in(tx_app) == 0
    assert tx_app.ran == []


def test_a_refusal_marked_to_be_kept_commits_with_its_4xx(tx_app):
    # A failed login's counters, a spent code: the refusal itself must be recorded.
    assert tx_app.test_client().post("/_test/refusal-recorded").status_code == 400
    assert campaigns_in(tx_app) == 1


def test_a_refusal_answered_with_a_redirect_writes_nothing(tx_app):
    assert tx_app.test_client().post("/_test/refused-redirect").status_code == 303
    assert campaigns_in(tx_app) == 0
    assert tx_app.ran == []


def test_not_allowed_answers_a_403_page_with_the_reason_and_writes_nothing(tx_app):
    response = tx_app.test_client().post("/_test/not-allowed")
    assert response.status_code == 403
    assert "Only members of an approved organization may do this." in response.get_data(as_text=True)
    assert campaigns_in(tx_app) == 0


def test_a_broken_rule_answers_a_409_page_with_the_message_and_writes_nothing(tx_app):
    response = tx_app.test_client().post("/_test/domain-error")
    assert response.status_code == 409
    assert "This campaign is archived." in response.get_data(as_text=True)
    assert campaigns_in(tx_app) == 0


def test_a_page_that_only_reads_writes_nothing_even_by_mistake(tx_app, caplog):
    # Its write is refused by the data layer (app/db_session.py), where a transaction used to
    # roll it back in silence: the bug shows as a 500, and nothing is kept.
    assert tx_app.test_client().get("/_test/read").status_code == 500
    assert any(
        isinstance(record.exc_info[1], db_session.WriteInReadOnlyRequest)
        for record in caplog.records
        if record.exc_info
    )
    assert campaigns_in(tx_app) == 0


def test_a_commit_that_conflicts_answers_409_and_writes_nothing(tx_app):
    response = tx_app.test_client().post("/_test/conflict")
    assert response.status_code == 409
    assert "Reload and try again" in response.get_data(as_text=True)
    assert campaigns_in(tx_app) == 0


def test_a_commit_the_database_cannot_take_answers_503(tx_app, monkeypatch):
    def database_gone():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "commit", database_gone)
    response = tx_app.test_client().post("/_test/ok")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert tx_app.ran == []
    monkeypatch.undo()
    assert campaigns_in(tx_app) == 0
