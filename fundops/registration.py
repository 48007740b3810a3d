"""Accounts of member organisations: an organisation registers itself and its first user, staff
verify or reject it, and its people invite colleagues. Every change writes an audit row.

A registered organisation starts "pending": its people may draft but not submit
(applications/services/submission.py) until a program officer verifies it.
"""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import roles
from .models import AuditEntry, Invitation, Organization
from .notifications import kinds, notify
from .notifications.recipients import organisation_users, program_officers
from .notifications.rendering import absolute_url, render_text, split_subject

User = get_user_model()
Status = Organization.VerificationStatus

INVITATION_DAYS = 7
_INVITATION_SALT = "fundops.invitation"


def _audit(organization, *, by, transition, from_state, to_state, note=""):
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Organization), object_id=organization.pk, actor=by,
        transition=transition, from_state=from_state, to_state=to_state, note=note,
    )


def email_taken(email):
    """True when a person already signs in with this e-mail (compared without regard to case)."""
    email = (email or "").strip()
    return User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists()


def _new_applicant(*, organization, name, email, password):
    """A person of `organization` holding the applicant role; signs in with their e-mail address."""
    email = email.strip()
    user = User(username=email.lower(), email=email, first_name=name.strip()[:150], organization=organization)
    user.set_password(password)
    user.save()
    group, _created = Group.objects.get_or_create(name=roles.APPLICANT)
    user.groups.add(group)
    return user


def person_problems(*, name, email, password):
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("Give your name.")]
    if not (email or "").strip():
        errors["email"] = [_("Give your e-mail address.")]
    elif email_taken(email):
        errors["email"] = [_("Someone already signs in with this e-mail address. If it is you, sign in or reset "
                             "your password.")]
    try:
        # The similarity check compares with the person's own name and e-mail, so build them first.
        password_validation.validate_password(
            password or "", user=User(username=(email or "").lower(), email=email or "", first_name=name or "")
        )
    except ValidationError as error:
        errors["password"] = list(error.messages)
    return errors


def _new_org_id():
    # Self-registered groups have no identifier we can check yet: the publisher prefix plus a random part.
    while True:
        org_id = f"{settings.FUNDOPS_ORG_PREFIX}-R{secrets.token_hex(4).upper()}"
        if not Organization.objects.filter(org_id=org_id).exists():
            return org_id


@transaction.atomic
def organization_register(*, organization_name, country, contact_email, name, email, password):
    """A member organisation signs itself up with its first user. Returns (organization, user).

    Nothing is created when anything is wrong: every problem is raised at once, keyed by field.
    """
    errors = {}
    if not (organization_name or "").strip():
        errors["organization_name"] = [_("Give your organisation's name.")]
    if not country:
        errors["country"] = [_("Choose the country where your organisation is based.")]
    if not (contact_email or "").strip():
        errors["contact_email"] = [_("Give an e-mail address where the fund can reach your organisation.")]
    errors.update(person_problems(name=name, email=email, password=password))
    if errors:
        raise ValidationError(errors)

    organization = Organization(
        name=organization_name.strip(), country=country, org_id=_new_org_id(),
        contact_name=name.strip(), contact_email=contact_email.strip(),
        registration_status=Organization.RegistrationStatus.UNREGISTERED,
        verification_status=Status.PENDING,
    )
    organization.full_clean()
    organization.save()
    user = _new_applicant(organization=organization, name=name, email=email, password=password)
    _audit(organization, by=user, transition="register", from_state="", to_state=Status.PENDING)
    url = reverse("organizations_pending")
    for officer in program_officers():
        notify(
            recipient=officer, kind=kinds.ORGANISATION_REGISTERED, event_key=f"organisation:{organization.pk}:registered",
            obj=organization, url=url,
            context={"organisation": organization.name, "country": organization.country.name,
                     "contact": f"{user.get_full_name()} <{user.email}>"},
        )
    return organization, user


def _decide(*, organization, by, to_state, transition, note=""):
    if not roles.is_program_officer(by):
        raise PermissionDenied(_("Only the fund's staff may verify or reject an organisation."))
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.verification_status != Status.PENDING:
        raise ValidationError(_("“%(organisation)s” is not waiting for verification (it is %(status)s).") % {
            "organisation": organization.name, "status": organization.get_verification_status_display().lower()})
    organization.verification_status = to_state
    organization.verified_by, organization.verified_at = by, timezone.now()
    organization.save(update_fields=["verification_status", "verified_by", "verified_at", "updated_at"])
    _audit(organization, by=by, transition=transition, from_state=Status.PENDING, to_state=to_state, note=note)
    return organization


@transaction.atomic
def organization_verify(*, organization, by):
    """Staff confirm a registered organisation is a member: from now on it may submit applications."""
    organization = _decide(organization=organization, by=by, to_state=Status.VERIFIED, transition="verify")
    for person in organisation_users(organization):
        notify(
            recipient=person, kind=kinds.ORGANISATION_VERIFIED, event_key=f"organisation:{organization.pk}:verified",
            obj=organization, url=reverse("applications:list"), context={"organisation": organization.name},
        )
    return organization


@transaction.atomic
def organization_reject(*, organization, by, reason):
    """Staff refuse a registration, saying why; the registrant is told the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the registration is rejected: the applicant is told.")]})
    organization = _decide(organization=organization, by=by, to_state=Status.REJECTED, transition="reject", note=reason)
    for person in organisation_users(organization):
        notify(
            recipient=person, kind=kinds.ORGANISATION_REJECTED, event_key=f"organisation:{organization.pk}:rejected",
            obj=organization, url=reverse("home"), context={"organisation": organization.name, "reason": reason},
        )
    return organization


# Invitations ---------------------------------------------------------------------------------------


def _key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


class InvitationInvalid(Exception):
    """The link is wrong, expired or already used; the message says which, for the person holding it."""


@transaction.atomic
def invitation_create(*, organization, by, name, email):
    """A person of `organization` invites a colleague. Returns (invitation, token); the token, only
    ever in the e-mailed link, is signed and holds a random key whose hash alone is stored."""
    if not (roles.is_applicant(by) and by.organization_id == organization.pk):
        raise PermissionDenied(_("Only your organisation's own people may invite colleagues to it."))
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("Give your colleague's name.")]
    if not (email or "").strip():
        errors["email"] = [_("Give your colleague's e-mail address.")]
    elif email_taken(email):
        errors["email"] = [_("Someone already signs in with this e-mail address: they cannot be invited again.")]
    if errors:
        raise ValidationError(errors)
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        organization=organization, name=name.strip(), email=email.strip(), key_hash=_key_hash(key),
        invited_by=by, created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    _audit(organization, by=by, transition="invite", from_state="", to_state="invited", note=invitation.email)
    token = signing.dumps(key, salt=_INVITATION_SALT)
    link = absolute_url(reverse("invitation_accept", args=[token]))
    message = split_subject(render_text("fundops/invite_email.txt", {
        "invitation": invitation, "by": by, "link": link, "days": INVITATION_DAYS,
        "site_name": settings.FUNDOPS_SITE_NAME,
    }))
    transaction.on_commit(
        lambda: send_mail(message.subject, message.body, None, [invitation.email]), robust=True
    )
    return invitation, token


def invitation_for_token(token, *, lock=False):
    """The invitation a link's token names, or InvitationInvalid saying why it cannot be used."""
    try:
        key = signing.loads(token, salt=_INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired:
        raise InvitationInvalid(_("This invitation has expired. Ask your colleague to invite you again."))
    except signing.BadSignature:
        raise InvitationInvalid(_("This invitation link is not valid. Check that the whole link was copied."))
    invitations = Invitation.objects.select_related("organization")
    if lock:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(key_hash=_key_hash(key)).first()
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid. Check that the whole link was copied."))
    if invitation.is_used:
        raise InvitationInvalid(_("This invitation has already been used. Sign in with your e-mail address."))
    if invitation.is_expired():
        raise InvitationInvalid(_("This invitation has expired. Ask your colleague to invite you again."))
    return invitation


@transaction.atomic
def invitation_accept(*, token, password):
    """The invited colleague chooses a password and joins the organisation as an applicant."""
    invitation = invitation_for_token(token, lock=True)
    errors = person_problems(name=invitation.name, email=invitation.email, password=password)
    if "email" in errors:
        raise InvitationInvalid(_("Someone already signs in with this e-mail address. Sign in, or reset your "
                                  "password."))
    if errors:
        raise ValidationError(errors)
    user = _new_applicant(organization=invitation.organization, name=invitation.name, email=invitation.email,
                          password=password)
    invitation.accepted_at, invitation.accepted_user = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    _audit(invitation.organization, by=user, transition="join", from_state="invited", to_state="member",
           note=invitation.email)
    return user
