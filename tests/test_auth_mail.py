"""Mail backends: captured in tests, written to files in development, links never logged."""

from __future__ import annotations

import logging
from pathlib import Path

from app.extensions import db
from app.services import mail
from tests.builders import make_user
from tests.conftest import empty_all_tables


def test_file_backend_writes_eml_files_and_logs_only_the_path(make_app, tmp_path, caplog):
    outbox_dir = tmp_path / "mails"
    application = make_app(MAIL_BACKEND="file", MAIL_OUTBOX_DIR=str(outbox_dir))
    with application.app_context():  # as a command or a job would: delivered at the commit
        try:
            user = make_user(email="amal@example.org")
            with caplog.at_level(logging.INFO):
                mail.send_password_reset(user)
                assert not outbox_dir.exists()  # queued: nothing leaves before the commit
                db.session.commit()
            [written] = list(Path(outbox_dir).glob("*.eml"))
            content = written.read_text()
            assert "To: amal@example.org" in content
            assert "/auth/reset/" in content
            assert f"mail written to {written}" in caplog.text
            assert "/auth/reset/" not in caplog.text
        finally:
            db.session.rollback()
            db.session.remove()
            empty_all_tables()


def test_memory_backend_captures_messages(app, outbox):
    with app.test_request_context():
        user = make_user(email="amal@example.org")
        mail.send_email_confirmation(user)
        db.session.commit()
    [message] = outbox
    assert message.subject == "Confirm your email address for Tadamun"
    assert message.recipients == ["amal@example.org"]
