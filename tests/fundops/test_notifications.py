"""Notifications: every kind reaches a real SMTP server, after commit, once, even when the server was
down; preferences and the digest; the inbox shows each person only their own."""
import datetime
import re
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template import Context, Engine
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fundops.models import Notification, NotificationPreference
from fundops.notifications import delivery, kinds, notify, recipients
from fundops.notifications.services import preferences_set
from tests import factories

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TEMPLATES = Path(django_settings.BASE_DIR) / "templates" / "notifications"
State = Notification.EmailState

SPECIAL_VALUES = {
    "reviews": 3, "decision": "approved", "stage": "half", "state": "failed",
    "letter_url": "/applications/7/letter/", "amount": "USD 8,000.00",
}


def sample_context(kind):
    return {key: SPECIAL_VALUES.get(key, f"[{key}]") for key in kinds.REGISTRY[kind].context_keys}


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf8", errors="replace"))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """aiosmtpd on a local port that can be started late (the mail server is down until then)."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()

    @property
    def messages(self):
        return self.mailbox.messages


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = IMMEDIATE
    settings.FUNDOPS_SITE_URL = "https://grants.example.org"
    yield server
    server.stop()


@pytest.fixture
def person(db):
    return factories.UserFactory(roles=["applicant", "reviewer", "program_officer", "finance_officer", "donor"])


def subject_of(raw):
    return re.search(r"^Subject: (.*)$", raw, re.MULTILINE).group(1)


# The templates --------------------------------------------------------------------------------


def test_every_kind_has_a_template_and_every_template_a_kind():
    names = {path.stem for path in TEMPLATES.glob("*.txt")}
    assert names == set(kinds.REGISTRY) | {"digest"}
    assert kinds.MANDATORY >= {"info_requested", "application_decided", "payment_awaiting_approval"}
    assert kinds.MANDATORY <= set(kinds.REGISTRY)


@pytest.mark.parametrize("kind", sorted(kinds.REGISTRY))
def test_template_uses_only_the_contract_keys_and_leaves_no_hole(kind):
    source = (TEMPLATES / f"{kind}.txt").read_text()
    used = set(re.findall(r"\{\{\s*(\w+)", source)) | set(re.findall(r"\{%\s*(?:el)?if\s+(\w+)", source))
    used -= {"count", "plural"}
    allowed = set(kinds.REGISTRY[kind].context_keys) | set(kinds.COMMON_CONTEXT_KEYS)
    assert used <= allowed, f"{kind} uses keys outside the contract: {used - allowed}"
    assert "url" in used, f"{kind} must carry the link to the work"
    assert "{% load i18n %}" in source and "blocktranslate" in source

    engine = Engine(dirs=[str(TEMPLATES.parent)], string_if_invalid="@@MISSING %s@@",
                    libraries={"i18n": "django.templatetags.i18n"}, autoescape=False)
    variants = [sample_context(kind)]
    for key, values in {"decision": ["declined"], "stage": ["ninety", "passed"], "state": ["returned"]}.items():
        if key in variants[0]:
            variants += [{**variants[0], key: value} for value in values]
    for context in variants:
        text = engine.get_template(f"notifications/{kind}.txt").render(
            Context({**context, "recipient": "Amina", "url": "https://x.example/a/1/", "site_name": "fundops"})
        )
        subject, blank, body = text.strip().split("\n", 2)
        assert subject.strip() and blank.strip() == "", f"{kind}: first line subject, then a blank line"
        assert "@@MISSING" not in text and "{{" not in text and "{%" not in text
        assert "https://x.example/a/1/" in body


# Every kind reaches a real mail server ----------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_is_received_by_a_real_smtp_server(smtp, person, django_capture_on_commit_callbacks):
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for kind in kinds.REGISTRY:
                notify(recipient=person, kind=kind, event_key=f"test:{kind}", url=f"/work/{kind}/",
                       context=sample_context(kind))
    assert len(smtp.messages) == len(kinds.REGISTRY)
    for kind in kinds.REGISTRY:
        message = next(m for m in smtp.messages if f"https://grants.example.org/work/{kind}/" in m)
        assert f"To: {person.email}" in message
        assert "@@" not in message and "[application]" in message or "[application]" not in sample_context(kind).values()
    assert set(Notification.objects.values_list("email_state", flat=True)) == {State.SENT}
    decided = next(m for m in smtp.messages if "/work/application_decided/" in m)
    assert "https://grants.example.org/applications/7/letter/" in decided  # paths in context go out absolute


@pytest.mark.django_db
def test_a_mail_server_down_at_first_gets_the_email_exactly_once(smtp, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=person, kind=kinds.INFO_REQUESTED, event_key="app:1:info",
                              url="/applications/1/", context=sample_context(kinds.INFO_REQUESTED))
    notification.refresh_from_db()
    assert notification.email_state == State.PENDING
    assert notification.attempts == 1
    assert "Connection refused" in notification.last_error or "Errno" in notification.last_error
    wait = notification.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(minutes=1)

    # Running again before the back-off has passed does not hammer the server.
    assert delivery.notification_deliver(notification_id=notification.pk).state == State.PENDING
    notification.refresh_from_db()
    assert notification.attempts == 1

    smtp.start()
    later = notification.next_attempt_at
    assert delivery.notification_deliver(notification_id=notification.pk, now=later).state == State.SENT
    assert len(smtp.messages) == 1
    assert delivery.notification_deliver(notification_id=notification.pk, now=later).state == State.SENT
    assert len(smtp.messages) == 1
    notification.refresh_from_db()
    assert notification.email_state == State.SENT and notification.sent_at and notification.last_error == ""


@pytest.mark.django_db
def test_backoff_grows_and_ends_in_failed_visible_to_administrators(smtp, person, admin_client, django_capture_on_commit_callbacks):
    notification = notify(recipient=person, kind=kinds.REVIEW_ASSIGNED, event_key="r:1",
                          url="/reviews/1/", context=sample_context(kinds.REVIEW_ASSIGNED))
    now = timezone.now()
    waits = []
    for _ in range(len(django_settings.FUNDOPS_EMAIL_RETRY_MINUTES) + 1):
        outcome = delivery.notification_deliver(notification_id=notification.pk, now=now)
        if outcome.retry_at:
            waits.append(round((outcome.retry_at - now).total_seconds() / 60))
            now = outcome.retry_at
    assert waits == [1, 5, 15, 60, 240]
    notification.refresh_from_db()
    assert notification.email_state == State.FAILED and notification.attempts == 6

    assert "1 e-mail could not be sent." in admin_client.get("/admin/").content.decode()
    listing = admin_client.get("/admin/fundops/notification/?email_state__exact=failed")
    assert str(person) in listing.content.decode()

    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/fundops/notification/", {"action": "send_again", "_selected_action": [notification.pk]})
    notification.refresh_from_db()
    assert notification.email_state == State.SENT
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_worker_that_died_after_sending_does_not_send_again(smtp, person):
    """A row left in `sending` may have gone out: it is never resent by itself."""
    smtp.start()
    notification = notify(recipient=person, kind=kinds.PAYMENT_SENT, event_key="p:1", url="/", context=sample_context(kinds.PAYMENT_SENT))
    Notification.objects.filter(pk=notification.pk).update(email_state=State.SENDING, attempts=1)
    assert delivery.notification_deliver(notification_id=notification.pk).state == State.SENDING
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_worker_later(settings, person):
    """With the database task backend, the retry is queued for after the back-off."""
    from django_tasks_db.models import DBTaskResult

    from fundops.notifications import tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    notification = notify(recipient=person, kind=kinds.PAYMENT_SENT, event_key="p:2", url="/", context=sample_context(kinds.PAYMENT_SENT))
    tasks.deliver_notification.call(notification.pk)
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"] == [notification.pk]
    assert abs((retry.run_after - timezone.now()) - datetime.timedelta(minutes=1)) < datetime.timedelta(seconds=10)


# After commit, once -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing_and_leaves_no_row(smtp, person, django_capture_on_commit_callbacks):
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(recipient=person, kind=kinds.APPLICATION_SUBMITTED, event_key="a:1:submitted",
                       url="/applications/1/", context=sample_context(kinds.APPLICATION_SUBMITTED))
                raise RuntimeError("the submission failed after notifying")
    assert not Notification.objects.exists()
    assert smtp.messages == []


@pytest.mark.django_db
def test_the_same_event_is_told_once(smtp, person, django_capture_on_commit_callbacks):
    smtp.start()
    args = dict(recipient=person, kind=kinds.APPLICATION_SUBMITTED, event_key="a:1:submitted", url="/a/",
                context=sample_context(kinds.APPLICATION_SUBMITTED))
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(**args) is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(**args) is None
    assert Notification.objects.count() == 1 and len(smtp.messages) == 1


@pytest.mark.django_db
def test_notify_refuses_what_the_contract_does_not_allow(person):
    with pytest.raises(ValueError):
        notify(recipient=person, kind="no_such_kind", event_key="x")
    with pytest.raises(ValueError):
        notify(recipient=person, kind=kinds.PAYMENT_SENT, event_key="x", context={"application": "A"})
    from decimal import Decimal
    with pytest.raises(TypeError):
        notify(recipient=person, kind=kinds.PAYMENT_SENT, event_key="x",
               context={**sample_context(kinds.PAYMENT_SENT), "amount": Decimal("1")})
    with pytest.raises(ValueError):
        notify(recipient=person, kind=kinds.PAYMENT_SENT, event_key="x", url="https://evil.example/",
               context=sample_context(kinds.PAYMENT_SENT))


@pytest.mark.django_db
def test_people_without_an_address_or_inactive_get_only_the_inbox_row(smtp, django_capture_on_commit_callbacks):
    smtp.start()
    no_address = factories.UserFactory(roles=["applicant"], email="")
    inactive = factories.UserFactory(roles=["applicant"], is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        for user in (no_address, inactive):
            notify(recipient=user, kind=kinds.INFO_REQUESTED, event_key="a:1:info", url="/a/",
                   context=sample_context(kinds.INFO_REQUESTED))
    assert list(Notification.objects.values_list("email_state", flat=True)) == [State.SKIPPED] * 2
    assert smtp.messages == []


# Preferences and the digest ---------------------------------------------------------------------


@pytest.mark.django_db
def test_preferences_off_and_digest_are_respected(smtp, person, django_capture_on_commit_callbacks):
    smtp.start()
    preferences_set(user=person, modes={kinds.REVIEW_ASSIGNED: "off", kinds.PAYMENT_SENT: "digest",
                                        kinds.REPORT_READY: "digest"})
    with django_capture_on_commit_callbacks(execute=True):
        for kind in (kinds.REVIEW_ASSIGNED, kinds.PAYMENT_SENT, kinds.REPORT_READY):
            notify(recipient=person, kind=kind, event_key=f"e:{kind}", url=f"/{kind}/", context=sample_context(kind))
    states = dict(Notification.objects.values_list("kind", "email_state"))
    assert states == {kinds.REVIEW_ASSIGNED: State.SKIPPED, kinds.PAYMENT_SENT: State.DIGEST, kinds.REPORT_READY: State.DIGEST}
    assert smtp.messages == []

    now = delivery.next_digest_at()
    assert timezone.localtime(now).hour == django_settings.FUNDOPS_DIGEST_HOUR
    assert delivery.digest_send(user_id=person.pk, now=now).state == State.SENT
    assert len(smtp.messages) == 1
    assert "2 updates" in subject_of(smtp.messages[0])
    assert "https://grants.example.org/payment_sent/" in smtp.messages[0]
    assert "https://grants.example.org/report_ready/" in smtp.messages[0]
    # Idempotent: the same day's digest run again sends nothing.
    assert delivery.digest_send(user_id=person.pk, now=now).state == "nothing"
    assert len(smtp.messages) == 1


def test_the_digest_goes_out_at_the_next_digest_hour(settings):
    settings.FUNDOPS_DIGEST_HOUR = 17
    morning = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    evening = timezone.make_aware(datetime.datetime(2026, 3, 2, 17, 0))
    assert delivery.next_digest_at(morning) == timezone.make_aware(datetime.datetime(2026, 3, 2, 17, 0))
    assert delivery.next_digest_at(evening) == timezone.make_aware(datetime.datetime(2026, 3, 3, 17, 0))


@pytest.mark.django_db
def test_mandatory_kinds_cannot_be_turned_off(smtp, person, client, django_capture_on_commit_callbacks):
    smtp.start()
    with pytest.raises(ValidationError):
        preferences_set(user=person, modes={kinds.APPLICATION_DECIDED: "off"})
    # A stored "off" (say, written in the admin) is ignored too.
    NotificationPreference.objects.create(user=person, kind=kinds.PAYMENT_AWAITING_APPROVAL, mode="off")
    client.force_login(person)
    page = client.get("/inbox/preferences/").content.decode()
    assert f'name="{kinds.APPLICATION_DECIDED}"' not in page and "Always e-mailed right away" in page
    response = client.post("/inbox/preferences/", {
        **{kind: "off" for kind in kinds.REGISTRY}, kinds.REVIEW_OVERDUE: "digest"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=person, kind=kinds.REVIEW_OVERDUE).mode == "digest"
    assert not NotificationPreference.objects.filter(user=person, kind=kinds.APPLICATION_DECIDED).exists()
    with django_capture_on_commit_callbacks(execute=True):
        for kind in kinds.MANDATORY:
            notify(recipient=person, kind=kind, event_key=f"m:{kind}", url="/", context=sample_context(kind))
    assert len(smtp.messages) == len(kinds.MANDATORY)


@pytest.mark.django_db
def test_preferences_page_shows_only_the_kinds_of_your_roles(client):
    applicant = factories.UserFactory(roles=["applicant"])
    client.force_login(applicant)
    page = client.get("/inbox/preferences/").content.decode()
    assert 'name="payment_sent"' in page
    assert 'name="review_assigned"' not in page and "A payment waiting for your approval" not in page


# Recipients -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recipients_are_active_people_with_the_role():
    officer = factories.UserFactory(roles=["program_officer"])
    factories.UserFactory(roles=["program_officer"], is_active=False)
    finance_a, finance_b = factories.UserFactory(roles=["finance_officer"]), factories.UserFactory(roles=["finance_officer"])
    applicant = factories.UserFactory(roles=["applicant"])
    factories.UserFactory(roles=["applicant"])  # another organisation
    assert list(recipients.program_officers()) == [officer]
    assert set(recipients.finance_officers(exclude=finance_a)) == {finance_b}
    assert list(recipients.organisation_users(applicant.organization)) == [applicant]


# The inbox ------------------------------------------------------------------------------------


def _told(user, n, kind=kinds.APPLICATION_SUBMITTED, url="/applications/"):
    return notify(recipient=user, kind=kind, event_key=f"t:{n}", url=url, context=sample_context(kind))


@pytest.mark.django_db
def test_inbox_shows_only_your_own_newest_first_unread_bold(client, settings):
    settings.TASKS = IMMEDIATE
    me, someone = factories.UserFactory(roles=["applicant"]), factories.UserFactory(roles=["applicant"])
    first = _told(me, 1)
    Notification.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    second = _told(me, 2, kind=kinds.INFO_REQUESTED)
    theirs = _told(someone, 3)
    client.force_login(me)
    page = client.get("/inbox/").content.decode()
    assert page.index(f"/inbox/{second.pk}/") < page.index(f"/inbox/{first.pk}/")
    assert f"/inbox/{theirs.pk}/" not in page
    assert page.count('class="inbox-item unread"') == 2
    assert "Inbox (2)" in page
    assert client.get(f"/inbox/{theirs.pk}/").status_code == 404

    opened = client.get(f"/inbox/{second.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/applications/"
    second.refresh_from_db()
    assert second.read_at is not None
    assert "Inbox (1)" in client.get("/inbox/").content.decode()

    assert client.get("/inbox/read-all/").status_code == 405
    assert client.post("/inbox/read-all/").status_code == 302
    page = client.get("/inbox/").content.decode()
    assert "Inbox (" not in page and 'class="inbox-item unread"' not in page
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_inbox_is_paginated_in_the_database(client):
    me = factories.UserFactory(roles=["applicant"])
    Notification.objects.bulk_create([
        Notification(recipient=me, kind=kinds.APPLICATION_SUBMITTED, event_key=f"bulk:{n}", url="/",
                     context=sample_context(kinds.APPLICATION_SUBMITTED), email_state=State.SKIPPED)
        for n in range(60)
    ])
    client.force_login(me)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/inbox/?page=2").content.decode()
    assert page.count('class="inbox-item') == 25 and "Page 2 of 3" in page
    assert len(queries) < 20
    assert any("LIMIT 25" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_unread_count_costs_one_count_query(rf, person):
    from fundops.context_processors import inbox

    _told(person, 1)
    request = rf.get("/")
    request.user = person
    context = inbox(request)
    with CaptureQueriesContext(connection) as queries:
        assert int(str(context["inbox_unread"])) == 1
        assert context["inbox_unread"]
    assert len(queries) == 1 and "COUNT" in queries[0]["sql"].upper()


@pytest.mark.django_db
def test_inbox_needs_sign_in(db):
    from django.test import Client

    for url in ("/inbox/", "/inbox/1/", "/inbox/preferences/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_opening_never_redirects_off_site(client, person):
    notification = _told(person, 1, url="//evil.example/")
    client.force_login(person)
    assert client.get(f"/inbox/{notification.pk}/")["Location"] == "/inbox/"
