"""Who must prove a second factor, how long staff stay signed in, which address a sign-in comes
from, and the refusal to serve production on the public demo SECRET_KEY."""
import datetime
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Q
from django.utils import timezone
from django_otp import user_has_device

from . import roles

log = logging.getLogger("fundops.security")

DEMO_KEY_MESSAGE = (
    "SECRET_KEY is not set (or is the public demo key) while DEBUG is off: sessions, password "
    "resets and second-factor state would be signed with a key anyone can read in the source. "
    "Set SECRET_KEY to a long random value, e.g. "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, or run the local demo with DEBUG=1."
)


def is_fund_staff(user):
    """Program officers, finance officers and administrators: the people who decide on and move money."""
    return bool(
        user
        and user.is_authenticated
        and (user.is_staff or user.is_superuser or roles.is_program_officer(user) or roles.is_finance_officer(user))
    )


def second_factor_required(user):
    return is_fund_staff(user)


def needs_code_step(user):
    """Signed in with a password, holds a confirmed second factor, and has not proved it this session."""
    return user.is_authenticated and not user.is_verified() and user_has_device(user, confirmed=True)


def needs_enrolment(user):
    return user.is_authenticated and second_factor_required(user) and not user_has_device(user, confirmed=True)


def on_demo_key_in_production():
    return not settings.DEBUG and settings.SECRET_KEY == settings.DEMO_SECRET_KEY


def refuse_demo_key_in_production():
    """Called by the WSGI and ASGI doors: production never serves a request on the demo key."""
    if on_demo_key_in_production():
        raise ImproperlyConfigured(DEMO_KEY_MESSAGE)


def client_ip(request):
    """The address lockouts count against (django-axes' AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless TRUSTED_PROXY_IP_HEADER names the header our own reverse proxy writes:
    then the address TRUSTED_PROXY_COUNT hops from its right end, the one our outermost proxy saw.
    Entries further left are whatever the client claimed, so they are never trusted.
    """
    header = settings.TRUSTED_PROXY_IP_HEADER
    if header:
        hops = [hop.strip() for hop in request.META.get("HTTP_" + header.upper().replace("-", "_"), "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= settings.TRUSTED_PROXY_COUNT:
            return hops[-settings.TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


def lockout_ends_at(*, username, ip_address):
    """When the last lock on this account or address lifts: each failure counts for AXES_COOLOFF_TIME."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        last=Max("attempt_time")
    )["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def start_session(sender, request, user, **kwargs):
    """user_logged_in: staff sessions end a working day after sign-in, however busy they are."""
    if request is not None and hasattr(request, "session") and is_fund_staff(user):
        request.session.set_expiry(timezone.now() + datetime.timedelta(seconds=settings.STAFF_SESSION_SECONDS))


def report_lockout(sender, request, username, ip_address, **kwargs):
    """axes' user_locked_out: say it in the log too; the rows stay in the admin under Axes."""
    log.warning("Sign-in locked out after repeated failures: username=%r address=%s", username, ip_address)
