"""Notifications of applications, review requests, decisions and hidden content (#17): who hears
of what, in-site and by mail, as each person chose per kind; bounced addresses; the hourly
allowance of "at once" mails; digests that never send twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    DigestDelivery,
    MailBounce,
    Notification,
    Organization,
    OrganizationStatus,
    OrganizationTranslation,
    User,
)
from app.models.base import utcnow
from app.services import (
    digests,
    membership,
    moderation,
    moderation_content,
    notifications,
    tokens,
)
from tests.builders import make_campaign, make_moderator, make_organization, make_project, make_user
from tests.conftest import app_context, count, empty_all_tables, log_in, run_command
from tests.pages import page


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _choose(user: User, **choices: str) -> None:
    wanted = notifications.choices_of(user)
    wanted.update(choices)
    notifications.set_choices(user, wanted)


@pytest.fixture
def network(app):
    with app_context(app):
        make_moderator("mod@example.org")
        org = make_organization("River Keepers", status=OrganizationStatus.PENDING)
        make_user(org, email="owner@example.org", confirmed=False)
        make_user(org, email="colleague@example.org", is_owner=False)
        db.session.commit()


def _moderator_owner_and_colleague() -> tuple[User, Organization, User]:
    """A moderator, and River Keepers with its owner (owner@) and a second member (colleague@)."""
    mod = make_moderator("mod@example.org")
    org = make_organization("River Keepers")
    make_user(org, email="owner@example.org")
    colleague = make_user(org, email="colleague@example.org", is_owner=False)
    return mod, org, colleague


def _confirm(email: str) -> None:
    user = _user(email)
    token = tokens.make_token(
        tokens.EMAIL_CONFIRMATION, {"uid": user.id, "email": tokens.fingerprint(user.email)}
    )
    membership.confirm_email(token)
    db.session.commit()


def test_moderators_hear_of_a_new_application_once_its_owner_confirms(app, network, outbox):
    with app_context(app):
        _confirm("owner@example.org")
        mod = _user("mod@example.org")
        assert mod.unread_notifications == 1
    [message] = [m for m in outbox if m.recipients == ["mod@example.org"]]
    assert "River Keepers applied for membership." in message.body
    assert "/moderation/organizations/" in message.body and "/notifications/settings" in message.body


def test_a_resubmitted_application_and_a_review_request_reach_the_moderators(app, network, outbox):
    with app_context(app):
        mod = _user("mod@example.org")
        owner = _user("owner@example.org")
        moderation.reject_organization(mod, owner.organization, "No address given.")
        db.session.commit()
        membership.resubmit_application(owner.organization, owner, {"name": "River Keepers"})
        db.session.commit()
        moderation.approve_organization(mod, owner.organization)
        project = make_project(owner.organization, [], "River School")
        moderation_content.hide_project(project, mod, "Spam links")
        db.session.commit()
        moderation_content.request_review(project, owner, "Fixed")
        db.session.commit()
    to_mod = [m.body for m in outbox if m.recipients == ["mod@example.org"]]
    assert any("River Keepers sent its membership application again." in b for b in to_mod)
    assert any("asks for a review of its hidden project “River School”" in b for b in to_mod)


def test_members_hear_of_decisions_with_the_reason_at_once_or_never_as_they_chose(
    app, network, outbox, client
):
    with app_context(app):
        colleague = _user("colleague@example.org")
        _choose(colleague, decision="never")
        db.session.commit()
        moderation.reject_organization(_user("mod@example.org"), colleague.organization, "No address given.")
        db.session.commit()
    recipients = [m.recipients[0] for m in outbox]
    assert "owner@example.org" in recipients  # the default: at once
    assert "colleague@example.org" not in recipients  # chose never
    [mailed] = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert "No address given." in mailed.body
    # The in-site notification appears all the same, with the reason.
    log_in(client, "colleague@example.org")
    listing = page(client, "/notifications/")
    assert "The application of River Keepers was rejected." in listing and "No address given." in listing


def test_hidden_content_is_told_to_its_organization_with_the_reason(app, outbox, client):
    with app_context(app):
        mod = make_moderator("mod@example.org")
        member = make_user(make_organization("River Keepers"), email="member@example.org")
        project = make_project(member.organization, [make_campaign("Save the Tigris")], "River School")
        moderation_content.hide_project(project, mod, "Spam links")
        db.session.commit()
        assert _user("member@example.org").unread_notifications == 1
    [mailed] = [m for m in outbox if m.recipients == ["member@example.org"]]
    assert "River School" in mailed.body and "Spam links" in mailed.body
    log_in(client, "member@example.org")
    listing = page(client, "/notifications/")
    assert "A moderator hid your project “River School”." in listing and "Spam links" in listing


def test_a_kind_chosen_daily_waits_for_the_daily_digest_which_never_goes_twice(app, network, outbox):
    with app_context(app):
        mod = _user("mod@example.org")
        _choose(mod, application="daily")
        db.session.commit()
        _confirm("owner@example.org")
    assert not [m for m in outbox if m.recipients == ["mod@example.org"]]
    with app_context(app):
        assert digests.send_due("weekly").sent == 0  # chosen daily, not weekly
        db.session.commit()
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    [digest] = [m for m in outbox if m.recipients == ["mod@example.org"]]
    assert "River Keepers applied for membership." in digest.body
    result = run_command(app, "digests", "send", "--period", "daily")
    assert "0 daily digest(s) queued" in result.output
    with app_context(app):
        # Another application the same day: one digest per reader and day, so it waits for the next.
        notifications.application_submitted(
            make_organization("Late Applicant", status=OrganizationStatus.PENDING)
        )
        db.session.commit()
    result = run_command(app, "digests", "send", "--period", "daily")
    assert "0 daily digest(s) queued; 1 already sent" in result.output
    assert len([m for m in outbox if m.recipients == ["mod@example.org"]]) == 1
    with app_context(app):
        run = digests.send_due("daily", now=utcnow() + timedelta(days=1))
        db.session.commit()
        assert run.sent == 1
        assert (
            count(app, Notification, Notification.mailed_at.is_(None), Notification.mail_due.is_not(None))
            == 0
        )
    assert "Late Applicant applied" in [m for m in outbox if m.recipients == ["mod@example.org"]][-1].body
    assert count(app, DigestDelivery, DigestDelivery.follower_key.like("user:%")) == 2


@pytest.fixture
def limited_app(make_app):
    application = make_app(NOTIFICATION_MAILS_PER_HOUR=2)
    yield application
    with app_context(application):
        empty_all_tables()


def test_at_most_the_hours_allowance_goes_at_once_the_rest_waits_for_the_digest(limited_app, outbox):
    app = limited_app
    with app_context(app):
        mod = make_moderator("mod@example.org")
        for n in range(3):
            org = make_organization(f"Applicant {n}", status=OrganizationStatus.PENDING)
            notifications.application_submitted(org)
        db.session.commit()
        assert mod.id
    at_once = [m for m in outbox if m.recipients == ["mod@example.org"]]
    assert len(at_once) == 2
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    to_mod = [m for m in outbox if m.recipients == ["mod@example.org"]]
    assert len(to_mod) == 3 and "Applicant 2 applied for membership." in to_mod[-1].body


def test_a_bounced_address_gets_no_notification_or_digest_but_account_mail(app, network, outbox, client):
    result = run_command(app, "mail", "bounced", "MOD@example.org")
    assert result.exit_code == 0 and "marked as bounced" in result.output
    with app_context(app):
        mod = _user("mod@example.org")
        _choose(mod, review="daily")
        db.session.commit()
        _confirm("owner@example.org")
        notifications.introduction_reported(1)
        db.session.commit()
        assert mod.unread_notifications == 2  # still in-site
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    assert not [m for m in outbox if m.recipients == ["mod@example.org"]]
    with app_context(app):
        membership.request_password_reset("mod@example.org")
        db.session.commit()
    assert [m for m in outbox if m.recipients == ["mod@example.org"]]  # account mail still tries
    log_in(client, "mod@example.org")
    assert "was refused by its mail server" in page(client, "/notifications/settings")
    result = run_command(app, "mail", "bounced", "mod@example.org", "--clear")
    assert result.exit_code == 0 and "mark lifted" in result.output
    assert count(app, MailBounce) == 0
    assert "was refused by its mail server" not in page(client, "/notifications/settings")


def test_the_settings_page_offers_a_fieldset_per_kind_and_saves_the_choice(app, client):
    with app_context(app):
        make_user(make_organization("River Keepers"), email="member@example.org")
        db.session.commit()
    log_in(client, "member@example.org")
    html = page(client, "/notifications/settings")
    assert html.count("<fieldset") == 5  # decisions, hidden content, updates, supporters, projects
    assert "Decisions on your organization" in html and "New supporters of campaigns you follow" in html
    assert "New and resubmitted membership applications" not in html  # moderators only
    assert 'type="radio"' in html and "<legend>" in html
    data = {kind: "weekly" for kind in ("decision", "hidden", "update", "supporter", "project")}
    data["decision"] = "never"
    assert client.post("/notifications/settings", data=data).status_code == 302
    with app_context(app):
        assert _user("member@example.org").notification_choices["decision"] == "never"
    # A missing or unknown choice writes nothing.
    assert client.post("/notifications/settings", data={**data, "hidden": "hourly"}).status_code == 400
    assert client.post("/notifications/settings", data={"decision": "now"}).status_code == 400
    with app_context(app):
        assert _user("member@example.org").notification_choices["decision"] == "never"
        assert _user("member@example.org").notification_choices["hidden"] == "weekly"
    assert 'href="/notifications/settings"' in page(client, "/notifications/")
    assert 'href="/notifications/settings"' in page(client, "/account/")


def test_the_settings_page_works_in_rtl(app, client):
    with app_context(app):
        user = make_user(make_organization("River Keepers"), email="member@example.org")
        user.locale = "ar"
        db.session.commit()
    log_in(client, "member@example.org")
    html = page(client, "/notifications/settings")
    assert 'dir="rtl"' in html and "<fieldset" in html


def test_a_members_choice_per_kind_moves_followed_news_between_digests(app, outbox):
    from app.services import following, updates

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        mod = make_moderator("mod@example.org")
        member = make_user(make_organization("Reader Org"), email="reader@example.org")
        following.follow(member, "campaign", campaign)  # weekly by default
        _choose(member, update="daily")
        db.session.commit()
        updates.post_campaign_update(campaign, mod, {"en": ("Dam talks resume", "")})
        db.session.commit()
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    [daily] = [m for m in outbox if m.recipients == ["reader@example.org"]]
    assert "Dam talks resume" in daily.body
    with app_context(app):
        assert digests.send_due("weekly").sent == 0  # updates come daily now; nothing else happened
        db.session.rollback()


def test_an_update_chosen_at_once_is_mailed_at_once_with_its_unsubscribe_link(app, outbox):
    from app.services import following, updates

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        mod = make_moderator("mod@example.org")
        member = make_user(make_organization("Reader Org"), email="reader@example.org")
        following.follow(member, "campaign", campaign)
        _choose(member, update="now")
        db.session.commit()
        updates.post_campaign_update(campaign, mod, {"en": ("Dam talks resume", "")})
        db.session.commit()
    [mailed] = [m for m in outbox if m.recipients == ["reader@example.org"]]
    assert "New update: Dam talks resume" in mailed.body and "/unsubscribe/" in mailed.body
    assert mailed.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_update_deleted_by_a_moderator_is_told_to_its_organization_with_the_reason(app, outbox):
    from app.models import CampaignCoordinator
    from app.services import updates

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        mod = make_moderator("mod@example.org")
        member = make_user(make_organization("River Keepers"), email="member@example.org")
        db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=member.organization_id))
        db.session.flush()
        update = updates.post_campaign_update(campaign, member, {"en": ("Dam talks", "")})
        db.session.commit()
        updates.hide_update(update, mod, "Names a private person")
        db.session.commit()
        assert _user("member@example.org").unread_notifications == 1
    [mailed] = [m for m in outbox if m.recipients == ["member@example.org"]]
    assert (
        "A moderator hid your update “Dam talks”." in mailed.body and "Names a private person" in mailed.body
    )


def test_flask_purge_erases_notifications_older_than_180_days(app):
    with app_context(app):
        user = make_user(make_organization("River Keepers"), email="member@example.org")
        for days in (10, 200):
            db.session.add(
                Notification(
                    user_id=user.id, kind="decision", params={}, created_at=utcnow() - timedelta(days=days)
                )
            )
        db.session.commit()
    result = run_command(app, "purge")
    assert result.exit_code == 0 and "notifications: 1 erased" in result.output
    assert count(app, Notification) == 1


# --- Delisting, relisting and content shown again go through the choices too ------------------


def test_a_delisting_and_its_lifting_reach_members_as_they_chose_for_decisions(app, outbox, client):
    from app.services import going_dark

    with app_context(app):
        mod, _org, colleague = _moderator_owner_and_colleague()
        _choose(colleague, decision="never")
        db.session.commit()
    moderator = app.test_client()
    log_in(moderator, "mod@example.org")
    with app_context(app):
        org_id = _user("owner@example.org").organization_id
    delisted = moderator.post(
        f"/moderation/organizations/{org_id}/delist", data={"reason": "Threats reported."}
    )
    assert delisted.status_code == 302
    # One mail (not one from the view and one from the service), to the member who kept the default.
    [mailed] = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert "Threats reported." in mailed.body and "out of public view" in mailed.body
    assert not [m for m in outbox if m.recipients == ["colleague@example.org"]]
    with app_context(app):
        going_dark.relist(_user("mod@example.org"), _user("owner@example.org").organization, "Checked.")
        db.session.commit()
        assert _user("colleague@example.org").unread_notifications == 2
        assert mod.id
    to_owner = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert len(to_owner) == 2 and "lifted the delisting" in to_owner[-1].body
    assert not [m for m in outbox if m.recipients == ["colleague@example.org"]]
    # In-site all the same, with the reason.
    log_in(client, "colleague@example.org")
    listing = page(client, "/notifications/")
    assert "A moderator took River Keepers out of public view." in listing and "Threats reported." in listing
    assert "A moderator lifted the delisting of River Keepers." in listing


def test_content_shown_again_reaches_members_as_they_chose_for_hidden_content(app, outbox, client):
    from app.models import CampaignCoordinator
    from app.services import updates

    with app_context(app):
        mod, org, colleague = _moderator_owner_and_colleague()
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        project = make_project(org, [campaign], "River School", slug="river-school")
        db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=org.id))
        db.session.flush()
        update = updates.post_campaign_update(campaign, colleague, {"en": ("Dam talks", "")})
        moderation_content.hide_project(project, mod, "Spam links")
        updates.hide_update(update, mod, "Names a private person")
        _choose(colleague, hidden="daily")
        db.session.commit()
        outbox.clear()
        moderation_content.unhide_project(project, mod, "Links removed.")
        updates.unhide_update(update, mod)
        db.session.commit()
        project_id = project.id
    to_owner = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert len(to_owner) == 2
    assert "“River School” visible again" in to_owner[0].body and "Links removed." in to_owner[0].body
    assert "A moderator showed your update “Dam talks” again." in to_owner[1].body
    assert "visible again" in to_owner[1].subject
    assert not [m for m in outbox if m.recipients == ["colleague@example.org"]]  # chose the daily digest
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    [digest] = [m for m in outbox if m.recipients == ["colleague@example.org"]]
    assert "A moderator made your project “River School” visible again." in digest.body
    log_in(client, "colleague@example.org")
    listing = page(client, "/notifications/")
    assert "A moderator made your project “River School” visible again." in listing
    # The notification links to the project it is about.
    assert f'/projects/{project_id}"' in listing


def test_a_pledge_message_shown_again_is_not_mailed_to_a_member_who_chose_never(app, outbox, client):
    from tests.builders import make_pledge

    with app_context(app):
        mod, org, colleague = _moderator_owner_and_colleague()
        pledge = make_pledge(org, make_campaign("Save the Tigris"), message="Join us at the dam")
        moderation_content.hide_pledge_message(pledge, mod, "Off topic")
        _choose(colleague, hidden="never")
        db.session.commit()
        outbox.clear()
        moderation_content.unhide_pledge_message(pledge, mod)
        db.session.commit()
    [mailed] = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert "visible again" in mailed.subject
    assert not [m for m in outbox if m.recipients == ["colleague@example.org"]]
    log_in(client, "colleague@example.org")
    assert "A moderator made your pledge message on “Save the Tigris” visible again." in page(
        client, "/notifications/"
    )


def test_decisions_on_a_new_name_reach_members_as_they_chose_for_decisions(app, outbox, client):
    with app_context(app):
        mod, organization, colleague = _moderator_owner_and_colleague()
        _choose(colleague, decision="never")
        organization.proposed_name = "Tigris Keepers"
        db.session.commit()
        moderation.reject_name(mod, organization, "This name belongs to another group.")
        db.session.commit()
        organization.proposed_name = "Keepers of the River"
        db.session.commit()
        moderation.approve_name(mod, organization)
        db.session.commit()
    assert "colleague@example.org" not in [m.recipients[0] for m in outbox]  # chose never
    refused, approved = [m for m in outbox if m.recipients == ["owner@example.org"]]
    assert "Tigris Keepers" in refused.body and "This name belongs to another group." in refused.body
    assert "Keepers of the River" in approved.body
    # Whoever chose "never" reads both in the site, the refusal with its reason.
    log_in(client, "colleague@example.org")
    listing = page(client, "/notifications/")
    assert "Your organization&#39;s new name was not approved" in listing
    assert "This name belongs to another group." in listing
    assert "Keepers of the River now carries its new name." in listing


def test_a_name_refused_in_another_language_is_told_with_the_name_kept(app, outbox):
    with app_context(app):
        mod = make_moderator("mod@example.org")
        organization = make_organization("River Keepers")
        make_user(organization, email="owner@example.org")
        db.session.add(
            OrganizationTranslation(
                organization_id=organization.id, locale="ar", name="حراس النهر", proposed_name="حماة دجلة"
            )
        )
        db.session.commit()
        moderation.reject_translated_name(mod, organization, "ar", "Too close to another group.")
        db.session.commit()
    [mailed] = outbox
    assert "حماة دجلة" in mailed.body and "حراس النهر" in mailed.body
    assert "Too close to another group." in mailed.body
