"""A request that only reads reads outside transactions, and cannot write by accident
(app/db_session.py): no BEGIN and no ROLLBACK for a page view, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from app.extensions import db
from app.models import Campaign, LoginSession
from app.transactions import records_views
from tests import builders
from tests.conftest import app_context, empty_all_tables, log_in, scalar


def _in_transaction() -> bool:
    """Whether the request's connection is inside a database transaction right now."""
    dbapi_connection = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "sqlite":
        return dbapi_connection.in_transaction
    import psycopg.pq

    return dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


@pytest.fixture
def probed_app(make_app):
    """The application with views that read and tell whether their reads ran inside a
    transaction. (A page view that writes by mistake: tests/test_transactions.py.)"""
    application = make_app()

    def read_and_tell():
        titles = db.session.scalars(sa.select(Campaign.title).order_by(Campaign.id)).all()
        return jsonify(titles=titles, in_transaction=_in_transaction())

    def read_recorded():
        return read_and_tell()

    application.add_url_rule("/_test/read", "test_read", read_and_tell, methods=["GET", "POST"])
    application.add_url_rule("/_test/read-recorded", "test_read_recorded", records_views(read_recorded))

    with app_context(application):
        builders.make_campaign("Save the Tigris")
        db.session.commit()
    yield application
    with application.app_context():
        empty_all_tables()


def test_a_page_view_reads_outside_any_transaction(probed_app):
    answer = probed_app.test_client().get("/_test/read")

    assert answer.status_code == 200
    assert answer.json == {"titles": ["Save the Tigris"], "in_transaction": False}


def test_a_form_post_works_in_a_transaction(probed_app):
    answer = probed_app.test_client().post("/_test/read")

    assert answer.json["in_transaction"] is True


def test_a_page_that_records_its_readers_works_in_a_transaction_for_a_logged_in_reader(probed_app):
    with app_context(probed_app):
        member = builders.make_user()
        db.session.commit()
    client = probed_app.test_client()
    visitor = client.get("/_test/read-recorded").json
    log_in(client, member.email)

    assert visitor["in_transaction"] is False
    assert client.get("/_test/read-recorded").json["in_transaction"] is True


def test_work_outside_a_request_keeps_its_transactions(probed_app):
    # A command or a job after a read-only request: its session begins transactions again.
    probed_app.test_client().get("/_test/read")

    with probed_app.app_context():
        db.session.scalar(sa.select(Campaign.id))
        assert _in_transaction()
        db.session.remove()


def test_a_logged_in_page_view_still_writes_the_login_records_last_use(probed_app):
    with app_context(probed_app):
        member = builders.make_user()
        db.session.commit()
    client = probed_app.test_client()
    log_in(client, member.email)
    with probed_app.app_context():
        record = db.session.scalar(sa.select(LoginSession).where(LoginSession.user_id == member.id))
        record.last_seen_at = record.last_seen_at.replace(year=2000)
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie.pop("touched_at", None)  # the last write was long ago

    answer = client.get("/_test/read")

    assert answer.json["in_transaction"] is False
    seen = scalar(probed_app, sa.select(LoginSession.last_seen_at).where(LoginSession.user_id == member.id))
    assert seen.year > 2000
