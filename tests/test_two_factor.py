"""Strong login: an authenticator app, passkeys, recovery codes; who must use them; and the
second step of the login, which the lockout, the rate limit and the audit log cover too."""

from __future__ import annotations

import ast
import json
import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from app import ceremony, security
from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, RecoveryCode, Role, User, WebAuthnCredential
from app.services import accounts, two_factor
from tests.builders import (
    DEFAULT_PASSWORD,
    enable_totp,
    make_moderator,
    make_organization,
    make_user,
    totp_code,
)
from tests.conftest import app_context, count, empty_all_tables, fresh_totp_code, log_in, scalar, scalars
from tests.webauthn_support import SoftwareAuthenticator, unb64url

EMAIL = "amal@example.org"
SECOND_STEP = "/auth/login/second-step"
SECURITY = "/account/security"
SETUP = "/account/security/authenticator"


@pytest.fixture
def member(app):
    with app_context(app):
        user = make_user(email=EMAIL)
        db.session.commit()
    return user


def reload(app, user: User) -> User:
    """The user as the database holds them now."""
    with app_context(app):
        return db.session.get(User, user.id)


def give_app(app, user: User) -> str:
    """An authenticator app for ``user``, as if they had set one up (committed); its secret."""
    with app_context(app):
        secret = enable_totp(db.session.get(User, user.id))
        db.session.commit()
    return secret


def app_code(app, user: User) -> str:
    """The code ``user``'s authenticator app shows now."""
    with app_context(app):
        return totp_code(db.session.get(User, user.id))


def is_logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def password_step(client, email=EMAIL, password=DEFAULT_PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def shown_secret(page: str) -> str:
    return re.search(r'class="totp-key"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def code_for(secret: str, step_offset: int = 0) -> str:
    step = two_factor.time_step(accounts.clock()) + step_offset
    return pyotp.TOTP(secret).generate_otp(step)


def shown_recovery_codes(page: str) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)


def set_up_app(client, password=DEFAULT_PASSWORD) -> tuple[str, list[str]]:
    """Through the pages, as a person would: read the key, type a code and the password."""
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    response = client.post(SETUP, data={"code": code_for(secret), "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return secret, shown_recovery_codes(response.get_data(as_text=True))


def audit_actions(app) -> list[AuditAction]:
    return scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))


def require_two_factor_of(app, organization) -> bool:
    return scalar(app, sa.select(Organization.require_two_factor).where(Organization.id == organization.id))


# Setting up the authenticator app ------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_key_to_type(client, auth, member):
    auth.login(EMAIL)
    page = client.get(SETUP).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = shown_secret(page)
    assert len(secret) == 32
    # The same key on a second visit: the person may have scanned it already.
    assert shown_secret(client.get(SETUP).get_data(as_text=True)) == secret


def test_setup_with_a_wrong_code_is_refused_and_saves_nothing(app, client, auth, member):
    auth.login(EMAIL)
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, data={"code": wrong, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "This code is not right" in response.get_data(as_text=True)
    user = reload(app, member)
    assert user.totp_secret is None and not user.has_two_factor
    assert count(app, RecoveryCode) == 0


def test_setup_needs_the_password_and_a_wrong_one_counts_as_a_failed_login(app, client, auth, member):
    auth.login(EMAIL)
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    response = client.post(SETUP, data={"code": code_for(secret), "password": "not my password at all"})
    assert response.status_code == 400
    user = reload(app, member)
    assert user.totp_secret is None
    assert user.failed_login_count == 1


def test_setup_turns_two_factor_login_on_and_shows_ten_recovery_codes_once(app, client, auth, member):
    auth.login(EMAIL)
    secret, codes = set_up_app(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    user = reload(app, member)
    assert user.has_two_factor
    # Kept sealed with the site's key, never as typed; the codes as Argon2 hashes.
    with app_context(app):
        assert secret not in user.totp_secret and two_factor.unseal(user.totp_secret) == secret
    hashes = scalars(app, sa.select(RecoveryCode.code_hash))
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code in h for code in codes for h in hashes)
    assert audit_actions(app) == [AuditAction.USER_TWO_FACTOR_ENABLED]
    # Shown once: the security page tells how many are left, not what they are.
    page = client.get(SECURITY).get_data(as_text=True)
    assert "10 unused recovery codes" in page
    assert not shown_recovery_codes(page)


# The second step of the login ------------------------------------------------------------------


def test_with_an_app_set_up_the_password_alone_does_not_log_in(app, client, member):
    give_app(app, member)
    response = password_step(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(SECOND_STEP)
    # Half logged in: nothing else opens.
    assert not is_logged_in(client)
    assert client.get("/account/security").headers["Location"].startswith("/auth/login")
    assert client.get("/moderation/").headers["Location"].startswith("/auth/login")
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_the_code_from_the_app_finishes_the_login(app, client, member):
    give_app(app, member)
    password_step(client, remember_me="y", next="/campaigns/")
    response = client.post(SECOND_STEP, data={"code": app_code(app, member)})
    assert response.status_code == 302 and response.headers["Location"] == "/campaigns/"
    assert is_logged_in(client)
    assert client.get_cookie("remember_token") is not None  # the choice on the first step holds
    assert reload(app, member).last_login_at is not None


def test_every_kind_of_login_starts_its_session_in_one_place():
    """Password, second step, passkey alone, accepted invitation: each ends in the auth area's
    finish_login, which calls security.log_in (accounts.complete_login, then the session), so
    what every login must do is done by all of them. Flask-Login's login_user is called in
    security.log_in and nowhere else, and only finish_login calls security.log_in."""
    app_dir = Path(__file__).resolve().parent.parent / "app"
    callers: dict[str, list[str]] = {"login_user": [], "log_in": []}
    for path in sorted(app_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in callers:
                    callers[name].append(f"{path.relative_to(app_dir)}:{function.name}")
    assert callers["login_user"] == ["security.py:log_in"]
    assert callers["log_in"] == ["auth/routes.py:finish_login"]


def test_a_wrong_code_is_refused_and_the_login_can_be_tried_again(app, client, member):
    secret = give_app(app, member)
    password_step(client)
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"
    response = client.post(SECOND_STEP, data={"code": wrong})
    assert response.status_code == 400
    assert "This code is not right" in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert client.post(SECOND_STEP, data={"code": code_for(secret)}).status_code == 302
    assert is_logged_in(client)


def test_a_code_cannot_be_used_twice(app, member):
    secret = give_app(app, member)
    code = code_for(secret)
    first, second = app.test_client(), app.test_client()
    password_step(first)
    assert first.post(SECOND_STEP, data={"code": code}).status_code == 302
    # Someone who saw the code (over a shoulder, on a fake site) and has the password is too late.
    password_step(second)
    assert second.post(SECOND_STEP, data={"code": code}).status_code == 400
    assert not is_logged_in(second)
    # Nor does an older code of the window work after a newer one.
    password_step(second)
    assert second.post(SECOND_STEP, data={"code": code_for(secret, -1)}).status_code == 400


def test_codes_of_the_neighbouring_time_steps_are_accepted_but_not_further(app, member, monkeypatch):
    secret = give_app(app, member)
    now = accounts.clock()
    assert two_factor._matching_step(secret, code_for(secret, -1), now) is not None
    assert two_factor._matching_step(secret, code_for(secret, +1), now) is not None
    assert two_factor._matching_step(secret, code_for(secret, -2), now) is None
    assert two_factor._matching_step(secret, code_for(secret, +2), now) is None
    assert two_factor._matching_step(secret, "12345", now) is None
    assert two_factor._matching_step(secret, "\uff11\uff12\uff13\uff14\uff15\uff16", now) is None  # fullwidth


def test_the_half_logged_in_state_ends_after_five_minutes(app, client, member, monkeypatch):
    give_app(app, member)
    password_step(client)
    # Read after the password step: the step may straddle a second on a slow machine, and the
    # half-logged-in state is dated when the step ends.
    after_password = security.now_seconds()
    monkeypatch.setattr(security, "now_seconds", lambda: after_password + ceremony.PENDING_LOGIN_SECONDS + 1)
    response = client.post(SECOND_STEP, data={"code": app_code(app, member)})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)


def test_the_half_logged_in_state_ends_with_a_new_password(app, client, member):
    give_app(app, member)
    password_step(client)
    with app_context(app):
        # a password change, a reset or a logout elsewhere
        accounts.end_all_sessions(db.session.get(User, member.id))
        db.session.commit()
    response = client.post(SECOND_STEP, data={"code": app_code(app, member)})
    assert response.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)


def test_the_second_step_page_opens_only_after_the_password(client, member):
    response = client.get(SECOND_STEP)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"


def recovery_mail(outbox) -> list:
    return [m for m in outbox if "recovery code was used" in m.subject]


# Recovery codes --------------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once_is_logged_and_mailed(app, client, auth, member, outbox):
    auth.login(EMAIL)
    _secret, codes = set_up_app(client)
    auth.logout()

    password_step(client)
    response = client.post(SECOND_STEP, data={"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302
    assert is_logged_in(client)
    assert AuditAction.USER_RECOVERY_CODE_USED in audit_actions(app)
    entry = scalar(app, sa.select(AuditEntry).where(AuditEntry.action == AuditAction.USER_RECOVERY_CODE_USED))
    assert entry.actor_id == member.id and entry.target_id == member.id
    [message] = recovery_mail(outbox)
    assert message.recipients == [EMAIL]
    assert "9 unused recovery codes left" in message.body
    auth.logout()

    password_step(client)
    assert client.post(SECOND_STEP, data={"code": codes[3]}).status_code == 400
    assert not is_logged_in(client)
    assert len(recovery_mail(outbox)) == 1


def test_new_recovery_codes_need_the_password_and_a_factor_and_replace_the_old(client, auth, member):
    auth.login(EMAIL)
    secret, old_codes = set_up_app(client)
    form = {"recovery-codes-password": DEFAULT_PASSWORD, "recovery-codes-code": ""}
    assert client.post("/account/security/recovery-codes", data=form).status_code == 400
    form["recovery-codes-code"] = code_for(secret, +1)
    response = client.post("/account/security/recovery-codes", data=form)
    assert response.status_code == 200
    new_codes = shown_recovery_codes(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    auth.logout()
    password_step(client)
    assert client.post(SECOND_STEP, data={"code": old_codes[0]}).status_code == 400
    assert client.post(SECOND_STEP, data={"code": new_codes[0]}).status_code == 302


# Lockout, rate limit ---------------------------------------------------------------------------


def test_wrong_codes_count_toward_the_lock_and_the_right_code_is_then_refused(app, member, outbox):
    secret = give_app(app, member)
    client = app.test_client()
    password_step(client)
    for _ in range(9):
        assert client.post(SECOND_STEP, data={"code": "000000"}).status_code == 400
    response = client.post(SECOND_STEP, data={"code": "000000"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert reload(app, member).locked_until is not None
    # The member learns that someone has their password (once, at the lock).
    [notice] = outbox
    assert notice.recipients == [EMAIL] and "knows your password" in notice.body
    # Locked: neither the password nor the code opens the account now.
    page = password_step(client)
    assert page.status_code == 200 and "locked" in page.get_data(as_text=True)
    assert client.post(SECOND_STEP, data={"code": code_for(secret)}).headers["Location"] == "/auth/login"
    assert not is_logged_in(client)
    assert len(outbox) == 1


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(app, member):
    give_app(app, member)
    client = app.test_client()
    for _ in range(3):
        password_step(client)
        for _ in range(3):
            client.post(SECOND_STEP, data={"code": "000000"})
    assert reload(app, member).failed_login_count == 9
    password_step(client)
    client.post(SECOND_STEP, data={"code": "000000"})
    assert reload(app, member).locked_until is not None


def test_a_successful_second_step_ends_the_count(app, client, member):
    give_app(app, member)
    password_step(client)
    client.post(SECOND_STEP, data={"code": "000000"})
    assert reload(app, member).failed_login_count == 1
    client.post(SECOND_STEP, data={"code": app_code(app, member)})
    assert reload(app, member).failed_login_count == 0


def test_the_second_step_is_rate_limited_like_the_login(make_app):
    application = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    with app_context(application):
        user = make_user(email=EMAIL)
        enable_totp(user)
        db.session.commit()
    client = application.test_client()
    password_step(client)
    answers = [client.post(SECOND_STEP, data={"code": "000000"}).status_code for _ in range(4)]
    with app_context(application):
        empty_all_tables()
    assert answers == [400, 400, 400, 429]


# Who must use it ---------------------------------------------------------------------------------


def moderation_get_routes(app) -> list[str]:
    """Every moderation page (all use moderator_required or admin_required)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("moderation.") and "GET" in rule.methods and not rule.arguments:
            urls.append(rule.rule)
    return urls


@pytest.mark.parametrize("admin", [False, True])
def test_a_moderator_without_a_second_factor_cannot_reach_moderation(app, client, admin):
    with app_context(app):
        make_moderator("mod@example.org", admin=admin, two_factor=False)
        db.session.commit()
    response = log_in(client, "mod@example.org")
    # Sent to set it up at login, with the reason.
    assert response.headers["Location"] == SECURITY
    page = client.get(SECURITY).get_data(as_text=True)
    assert "Moderators and administrators" in page
    routes = moderation_get_routes(app)
    assert len(routes) >= 5
    for url in routes:
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == SECURITY, url
    assert client.post("/moderation/organizations/1/approve").headers["Location"] == SECURITY
    # The gatherings' organizer pages (logged_in_required: the second factor for moderators).
    for url in ("/gatherings/new", "/gatherings/manage"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == SECURITY, url


def test_a_member_promoted_during_a_session_meets_the_requirement_at_moderation(app, client, member):
    log_in(client, EMAIL)  # a member: nothing required at this login
    with app_context(app):
        user = db.session.get(User, member.id)
        user.role = Role.ADMIN
        user.organization_id = None
        db.session.commit()
    for url in moderation_get_routes(app):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == SECURITY, url
    assert client.get("/account/").status_code == 200  # only moderation is closed


def test_once_set_up_the_moderator_reaches_moderation(app, client):
    with app_context(app):
        make_moderator("mod@example.org", two_factor=False)
        db.session.commit()
    log_in(client, "mod@example.org")
    set_up_app(client)
    assert client.get("/moderation/").status_code == 200
    assert client.get("/moderation/log").status_code == 200


def test_a_moderator_cannot_remove_their_last_factor(app, client):
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        db.session.commit()
    log_in(client, "mod@example.org")
    with app_context(app):
        code = fresh_totp_code(db.session.get(User, moderator.id))
    form = {
        "remove-authenticator-password": DEFAULT_PASSWORD,
        "remove-authenticator-code": code,
    }
    response = client.post("/account/security/authenticator/remove", data=form)
    assert response.status_code == 400
    assert "required for you" in response.get_data(as_text=True)
    assert reload(app, moderator).has_two_factor


@pytest.fixture
def organization_with_owner_and_colleague(app):
    with app_context(app):
        organization = make_organization("Basra Women's Group")
        owner = make_user(organization, email="owner@example.org", is_owner=True)
        colleague = make_user(organization, email="colleague@example.org", is_owner=False)
        db.session.commit()
    return organization, owner, colleague


def require(client, required: bool, password=DEFAULT_PASSWORD):
    data = {"organization-password": password}
    if required:
        data["organization-required"] = "y"
    return client.post("/account/security/organization", data=data)


def test_an_owner_requires_two_factor_login_of_every_member(app, organization_with_owner_and_colleague):
    organization, owner, colleague = organization_with_owner_and_colleague
    owners = app.test_client()
    log_in(owners, owner.email)
    # Not before having it themselves, and with the password.
    assert require(owners, True).status_code == 400
    set_up_app(owners)
    assert require(owners, True, password="not the password at all").status_code == 400
    assert require(owners, True).status_code == 302
    assert require_two_factor_of(app, organization)
    assert audit_actions(app)[-1] == AuditAction.ORGANIZATION_TWO_FACTOR_REQUIRED

    # The colleague is sent to set it up at login, and can do nothing else until then.
    colleagues = app.test_client()
    response = log_in(colleagues, colleague.email)
    assert response.headers["Location"] == SECURITY
    assert "Your organization asks every member" in colleagues.get(SECURITY).get_data(as_text=True)
    for url in ("/account/", "/account/profile", "/campaigns/", "/account/password"):
        assert colleagues.get(url).headers.get("Location") == SECURITY, url
    assert colleagues.post("/account/profile", data={"name": "Renamed"}).headers["Location"] == SECURITY
    assert scalar(app, sa.select(Organization.name).where(Organization.id == organization.id)) == (
        "Basra Women's Group"
    )
    set_up_app(colleagues)
    assert colleagues.get("/account/").status_code == 200


def test_only_the_owner_sets_the_rule(app, organization_with_owner_and_colleague):
    organization, _owner, colleague = organization_with_owner_and_colleague
    give_app(app, colleague)
    client = app.test_client()
    log_in(client, colleague.email)
    assert require(client, True).status_code == 403
    assert not require_two_factor_of(app, organization)


def test_a_member_of_an_organization_without_the_rule_is_not_held(client, member):
    response = log_in(client, EMAIL)
    assert response.headers["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


# Turning a factor off ----------------------------------------------------------------------------


def test_removing_the_app_needs_the_password_and_a_second_factor(app, client, auth, member):
    auth.login(EMAIL)
    secret, _codes = set_up_app(client)
    url = "/account/security/authenticator/remove"

    def remove(password, code):
        return client.post(
            url, data={"remove-authenticator-password": password, "remove-authenticator-code": code}
        )

    assert remove(DEFAULT_PASSWORD, "").status_code == 400  # no second factor
    assert remove("not the password at all", code_for(secret, +1)).status_code == 400
    assert remove(DEFAULT_PASSWORD, "000000").status_code == 400
    assert reload(app, member).totp_secret is not None
    assert reload(app, member).failed_login_count == 2  # the wrong password and the wrong code

    assert remove(DEFAULT_PASSWORD, code_for(secret, +1)).status_code == 302
    user = reload(app, member)
    assert user.totp_secret is None and not user.has_two_factor
    assert count(app, RecoveryCode) == 0
    assert audit_actions(app)[-1] == AuditAction.USER_TWO_FACTOR_DISABLED
    # The login is a one-step login again.
    auth.logout()
    assert password_step(client).headers["Location"] == "/account/"


def test_a_recovery_code_can_confirm_the_removal(app, client, auth, member, outbox):
    auth.login(EMAIL)
    _secret, codes = set_up_app(client)
    response = client.post(
        "/account/security/authenticator/remove",
        data={"remove-authenticator-password": DEFAULT_PASSWORD, "remove-authenticator-code": codes[0]},
    )
    assert response.status_code == 302
    assert not reload(app, member).has_two_factor
    assert [m.recipients for m in recovery_mail(outbox)] == [[EMAIL]]


# Passkeys (WebAuthn), verified by the webauthn library against a software authenticator --------


def options(client, url) -> dict:
    response = client.post(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def add_passkey(client, authenticator, name="My phone", password=DEFAULT_PASSWORD, **create):
    created = authenticator.create(options(client, "/account/security/passkeys/options"), **create)
    return client.post(
        "/account/security/passkeys",
        data={"add-passkey-name": name, "add-passkey-password": password, "add-passkey-response": created},
    )


@pytest.fixture
def authenticator(app) -> SoftwareAuthenticator:
    with app.app_context():
        return SoftwareAuthenticator(origin=two_factor.expected_origin(), rp_id=two_factor.rp_id())


def test_the_relying_party_is_the_site_at_site_url(app_ctx):
    assert two_factor.rp_id() == "tadamun.test"
    assert two_factor.expected_origin() == "http://tadamun.test"


def test_registration_options_name_the_site_and_a_random_user_handle(client, auth, member):
    auth.login(EMAIL)
    found = options(client, "/account/security/passkeys/options")
    assert found["rp"] == {"id": "tadamun.test", "name": "Tadamun"}
    assert found["user"]["name"] == EMAIL
    handle = unb64url(found["user"]["id"])
    assert len(handle) == 32 and EMAIL.encode() not in handle  # random, never the id or the email


def test_a_passkey_is_registered_and_then_finishes_the_login(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    response = add_passkey(client, authenticator)
    assert response.status_code == 200  # the first factor: the recovery codes are shown
    assert len(shown_recovery_codes(response.get_data(as_text=True))) == 10
    [passkey] = scalars(app, sa.select(WebAuthnCredential))
    assert passkey.credential_id == authenticator.credential_id and passkey.name == "My phone"
    user = reload(app, member)
    assert user.has_two_factor and user.webauthn_user_handle == authenticator.user_handle
    auth.logout()

    password_step(client)
    assert not is_logged_in(client)
    assertion = authenticator.get(options(client, "/auth/login/second-step/passkey"))
    response = client.post(SECOND_STEP, data={"response": assertion})
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert is_logged_in(client)
    assert (
        scalar(app, sa.select(WebAuthnCredential.sign_count).where(WebAuthnCredential.id == passkey.id)) == 1
    )


def test_each_change_of_factors_is_mailed_to_the_member(client, auth, member, authenticator, outbox):
    auth.login(EMAIL)
    secret, _codes = set_up_app(client)
    add_passkey(client, authenticator)
    client.post(
        "/account/security/authenticator/remove",
        data={
            "remove-authenticator-password": DEFAULT_PASSWORD,
            "remove-authenticator-code": code_for(secret, 1),
        },
    )
    bodies = [m.body for m in outbox]
    assert all(m.recipients == [EMAIL] for m in outbox)
    assert len(bodies) == 3
    assert "An authenticator app was just set up" in bodies[0]
    assert "A passkey was just added" in bodies[1]
    assert "The authenticator app was just removed" in bodies[2]


def test_registration_needs_the_password(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    response = add_passkey(client, authenticator, password="not the password at all")
    assert response.status_code == 400
    assert count(app, WebAuthnCredential) == 0


def test_registration_from_another_origin_is_refused(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    response = add_passkey(client, authenticator, origin="https://tadamun.example.evil")
    assert response.status_code == 400
    assert "could not be added" in response.get_data(as_text=True)
    assert count(app, WebAuthnCredential) == 0


def test_a_registration_answer_is_used_once(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    created = authenticator.create(options(client, "/account/security/passkeys/options"))
    data = {
        "add-passkey-name": "Key",
        "add-passkey-password": DEFAULT_PASSWORD,
        "add-passkey-response": created,
    }
    assert client.post("/account/security/passkeys", data=data).status_code == 200
    # The same answer again: its challenge was used.
    assert client.post("/account/security/passkeys", data=data).status_code == 400
    assert count(app, WebAuthnCredential) == 1


def test_a_passkey_logs_in_on_its_own(client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    assertion = authenticator.get(options(client, "/auth/passkey/options"))
    response = client.post("/auth/passkey", data={"passkey-response": assertion})
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert is_logged_in(client)


def test_passwordless_login_needs_a_passkey_that_checked_its_holder(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    authenticator.user_verification = False  # touched, but no PIN or fingerprint
    found = options(client, "/auth/passkey/options")
    assert found["userVerification"] == "required"
    response = client.post("/auth/passkey", data={"passkey-response": authenticator.get(found)})
    assert response.status_code == 303
    assert not is_logged_in(client)
    assert reload(app, member).failed_login_count == 1


def test_a_passkey_assertion_cannot_be_replayed(client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    assertion = authenticator.get(options(client, "/auth/passkey/options"))
    assert client.post("/auth/passkey", data={"passkey-response": assertion}).status_code == 302
    auth.logout()
    # A captured answer, sent again with a fresh challenge in the session: refused.
    options(client, "/auth/passkey/options")
    assert client.post("/auth/passkey", data={"passkey-response": assertion}).status_code == 303
    assert not is_logged_in(client)


def test_a_cloned_authenticator_is_refused_by_its_signature_counter(client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    client.post(
        "/auth/passkey",
        data={"passkey-response": authenticator.get(options(client, "/auth/passkey/options"))},
    )
    auth.logout()
    stale = authenticator.get(
        options(client, "/auth/passkey/options"), count=False
    )  # the counter did not move
    assert client.post("/auth/passkey", data={"passkey-response": stale}).status_code == 303
    assert not is_logged_in(client)


def test_an_assertion_for_another_site_is_refused(client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    found = options(client, "/auth/passkey/options")
    phished = authenticator.get(found, origin="https://tadamun-login.example")
    assert client.post("/auth/passkey", data={"passkey-response": phished}).status_code == 303
    assert not is_logged_in(client)


def test_another_users_passkey_is_not_a_second_factor(app, member, authenticator):
    with app_context(app):
        other = make_user(email="other@example.org")
        enable_totp(db.session.get(User, member.id))
        db.session.commit()
    others = app.test_client()
    log_in(others, "other@example.org")
    add_passkey(others, authenticator)

    client = app.test_client()
    password_step(client)
    assertion = authenticator.get(options(client, "/auth/login/second-step/passkey"))
    assert client.post(SECOND_STEP, data={"response": assertion}).status_code == 400
    assert not is_logged_in(client)
    assert other.id != member.id


def test_removing_a_passkey_needs_the_password_and_a_factor(app, client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    second = SoftwareAuthenticator(origin=authenticator.origin, rp_id=authenticator.rp_id)
    assert add_passkey(client, second, name="Blue key").status_code == 302
    passkey_id = scalar(app, sa.select(WebAuthnCredential.id).where(WebAuthnCredential.name == "Blue key"))
    prefix = f"remove-passkey-{passkey_id}"
    url = f"/account/security/passkeys/{passkey_id}/remove"
    assert client.post(url, data={f"{prefix}-password": DEFAULT_PASSWORD}).status_code == 400
    # Confirmed with the other passkey.
    assertion = authenticator.get(options(client, "/account/security/confirm/passkey"))
    response = client.post(
        url, data={f"{prefix}-password": DEFAULT_PASSWORD, f"{prefix}-response": assertion}
    )
    assert response.status_code == 302
    with app_context(app):
        assert [p.name for p in db.session.get(User, member.id).passkeys] == ["My phone"]


def test_nobody_removes_another_members_passkey(app, member, authenticator):
    owners = app.test_client()
    log_in(owners, EMAIL)
    add_passkey(owners, authenticator)
    passkey_id = scalar(app, sa.select(WebAuthnCredential.id))
    with app_context(app):
        make_user(email="intruder@example.org")
        db.session.commit()
    intruder = app.test_client()
    log_in(intruder, "intruder@example.org")
    response = intruder.post(f"/account/security/passkeys/{passkey_id}/remove", data={})
    assert response.status_code == 404
    assert count(app, WebAuthnCredential, WebAuthnCredential.id == passkey_id) == 1


def test_a_bad_passkey_answer_is_a_clear_refusal_not_an_error(client, auth, member, authenticator):
    auth.login(EMAIL)
    add_passkey(client, authenticator)
    auth.logout()
    options(client, "/auth/passkey/options")
    for garbage in ("{", json.dumps({"id": "x"}), "null", json.dumps({"rawId": "!!!", "response": {}})):
        assert client.post("/auth/passkey", data={"passkey-response": garbage}).status_code == 303


# What moderators read in the log ----------------------------------------------------------------


def test_the_log_names_the_two_factor_events(app, member):
    members = app.test_client()
    log_in(members, EMAIL)
    _secret, codes = set_up_app(members)
    recovering = app.test_client()
    password_step(recovering)
    recovering.post(SECOND_STEP, data={"code": codes[0]})
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        db.session.commit()
    moderators = app.test_client()
    log_in(moderators, moderator.email)
    page = moderators.get("/moderation/log").get_data(as_text=True)
    assert "Second factor added" in page
    assert "Recovery code used to log in" in page
    assert EMAIL in page


def test_the_lock_counts_against_the_clock(member, app_ctx, monkeypatch):
    """Second-step failures follow the same windows as password failures."""
    user = db.session.get(User, member.id)
    secret = enable_totp(user)
    db.session.commit()
    now = accounts.clock()
    monkeypatch.setattr(accounts, "clock", lambda: now)
    for _ in range(9):
        with pytest.raises(two_factor.WrongCode):
            two_factor.verify_second_factor(user, code="000000")
    db.session.commit()
    monkeypatch.setattr(accounts, "clock", lambda: now + timedelta(minutes=16))
    with pytest.raises(two_factor.WrongCode):
        two_factor.verify_second_factor(user, code="000000")
    db.session.commit()  # recorded, as the login's request records it
    assert db.session.get(User, member.id).locked_until is None
    assert (
        two_factor.verify_second_factor(db.session.get(User, member.id), code=code_for(secret))
        == two_factor.TOTP
    )
