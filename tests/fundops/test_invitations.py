"""An organisation's applicant invites a colleague: a signed link, e-mailed, good once for 7 days;
the colleague chooses a password and joins the same organisation as an applicant."""
import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fundops import registration
from fundops.models import Invitation, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "lantern-cobalt-meadow-58"


@pytest.fixture
def inviter(db):
    return factories.UserFactory(roles=["applicant"])


def invite(inviter, email="colleague@example.org", name="Kofi Mensah"):
    with_mail = registration.invitation_create(organization=inviter.organization, by=inviter, name=name, email=email)
    return with_mail


def link_in(message):
    match = re.search(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)", message.body)
    assert match, f"no invitation link in the e-mail:\n{message.body}"
    return match[1]


def test_an_applicant_invites_a_colleague_who_joins_the_same_organisation(client, inviter, django_capture_on_commit_callbacks):
    client.force_login(inviter)
    assert client.get(reverse("invite")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invite"), {"name": "Kofi Mensah", "email": "kofi@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kofi@example.org"]
    assert inviter.organization.name in mail.outbox[0].subject
    link = link_in(mail.outbox[0])
    assert "kofi@example.org" in client.get(reverse("invite")).content.decode()

    colleague_browser = Client()
    page = colleague_browser.get(link)
    assert page.status_code == 200 and "Kofi Mensah" in page.content.decode()
    joined = colleague_browser.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == reverse("login")
    colleague = User.objects.get(email="kofi@example.org")
    assert colleague.organization == inviter.organization and colleague.username == "kofi@example.org"
    assert colleague.groups.filter(name="applicant").exists()
    assert Invitation.objects.get().accepted_user == colleague
    signed_in = colleague_browser.post(reverse("login"), {"username": "kofi@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302


def test_an_invitation_works_only_once(inviter):
    _invitation, token = invite(inviter)
    registration.invitation_accept(token=token, password=PASSWORD)
    with pytest.raises(registration.InvitationInvalid, match="already been used"):
        registration.invitation_accept(token=token, password=PASSWORD)
    response = Client().get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 400 and "already been used" in response.content.decode()
    assert User.objects.filter(email="colleague@example.org").count() == 1


def test_an_invitation_past_its_seven_days_is_refused(inviter):
    invitation, token = invite(inviter)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(registration.InvitationInvalid, match="expired"):
        registration.invitation_accept(token=token, password=PASSWORD)
    assert not User.objects.filter(email="colleague@example.org").exists()


def test_a_link_signed_more_than_seven_days_ago_is_refused_whatever_is_stored(inviter, monkeypatch):
    _invitation, token = invite(inviter)
    eight_days_later = time.time() + timedelta(days=8).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: eight_days_later)
    response = Client().post(reverse("invitation_accept", args=[token]), {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not User.objects.filter(email="colleague@example.org").exists()


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "nonsense"])
def test_a_wrong_token_is_refused(inviter, mangle):
    _invitation, token = invite(inviter)
    response = Client().get(reverse("invitation_accept", args=[mangle(token)]))
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_a_token_signed_correctly_for_an_unknown_key_is_refused(inviter):
    from django.core import signing

    forged = signing.dumps("a-key-never-issued", salt="fundops.invitation")
    with pytest.raises(registration.InvitationInvalid, match="not valid"):
        registration.invitation_for_token(forged)


def test_an_email_already_registered_cannot_be_invited_nor_join(inviter):
    factories.UserFactory(email="Taken@Example.org")
    with pytest.raises(ValidationError) as refused:
        invite(inviter, email="taken@example.org")
    assert "email" in refused.value.message_dict
    # Registered after the invitation went out: the link no longer makes a second account.
    _invitation, token = invite(inviter, email="later@example.org")
    factories.UserFactory(email="LATER@example.org")
    with pytest.raises(registration.InvitationInvalid, match="already signs in"):
        registration.invitation_accept(token=token, password=PASSWORD)
    assert User.objects.filter(email__iexact="later@example.org").count() == 1


def test_a_weak_password_is_refused_and_the_invitation_stays_usable(inviter):
    _invitation, token = invite(inviter)
    with pytest.raises(ValidationError) as refused:
        registration.invitation_accept(token=token, password="12345")
    assert "password" in refused.value.message_dict
    assert registration.invitation_accept(token=token, password=PASSWORD).email == "colleague@example.org"


def test_only_the_organisations_own_applicants_invite(inviter):
    stranger = factories.UserFactory(roles=["applicant"])
    officer = factories.UserFactory(roles=["program_officer"])
    for person in (stranger, officer):
        with pytest.raises(PermissionDenied):
            registration.invitation_create(organization=inviter.organization, by=person, name="X", email="x@example.org")
    assert not Invitation.objects.exists()
