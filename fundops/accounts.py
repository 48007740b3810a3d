"""Signing in and staying safe: the second-factor code step, the Security page where anyone sets up
an authenticator app and recovery codes, and the page a locked-out person sees."""
from base64 import b32encode

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_username
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import security

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _next_url(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


def _authenticator(user, *, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def _recovery_device(user):
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def _locked_until(device):
    allowed, detail = device.verify_is_allowed()
    return None if allowed else (detail or {}).get("locked_until")


@login_required
def verify(request):
    """The code step after the password: a code from the authenticator app, or one recovery code."""
    if not security.needs_code_step(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        # Six digits go to the app, anything else to the recovery codes, so a typo never
        # uses up the other device's throttle.
        device = _authenticator(request.user) if code.isdigit() and len(code) == 6 else _recovery_device(request.user)
        if device is not None and verify_token(request.user, device.persistent_id, code):
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code. %(left)d is left: make new ones on the Security page.",
                        "You used a recovery code. %(left)d are left: make new ones on the Security page.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_next_url(request))
        locked_until = device and _locked_until(device)
        if locked_until:
            form.add_error("code", _("Too many wrong codes. Wait a moment, then try the newest code."))
        else:
            form.add_error("code", _("That code did not work. Type the code your app shows now, or a recovery code."))
    return render(
        request, "fundops/verify.html", {"form": form, "next": _next_url(request), "second_factor_gate": True}
    )


@login_required
def account_security(request):
    user = request.user
    recovery = _recovery_device(user)
    return render(
        request,
        "fundops/security.html",
        {
            "authenticator": _authenticator(user),
            "recovery_left": recovery.token_set.count() if recovery else 0,
            "required": security.second_factor_required(user),
        },
    )


def _qr_svg(url):
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    # Our own rendering of our own URL: no user input reaches the markup but the escaped URL.
    return mark_safe(image.to_string(encoding="unicode"))


def _grouped(secret):
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def authenticator(request):
    """Set up (or replace) the authenticator app: scan, type the code it shows, done."""
    user = request.user
    if security.needs_code_step(user):
        return redirect("verify")  # replacing the app needs the old one (or a recovery code) first
    pending = _authenticator(user, confirmed=False)
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if pending.verify_token(form.cleaned_data["code"]):
            return _confirm_authenticator(request, pending)
        form.add_error(
            "code",
            _("That code did not match. Check that the app shows “%(issuer)s”, then type the code it shows now.")
            % {"issuer": settings.OTP_TOTP_ISSUER},
        )
    secret = b32encode(pending.bin_key).decode()
    return render(
        request,
        "fundops/authenticator.html",
        {
            "form": form,
            "qr_svg": _qr_svg(pending.config_url),
            "secret": secret,
            "secret_grouped": _grouped(secret),
            "replacing": _authenticator(user) is not None,
            "required": security.second_factor_required(user),
            "next": _next_url(request),
            # Until a required second factor is set up, the top bar offers nothing but signing out.
            "second_factor_gate": security.needs_enrolment(user),
        },
    )


def _confirm_authenticator(request, pending):
    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        first_time = _recovery_device(user) is None
        codes = _new_recovery_codes(user) if first_time else None
    otp_login(request, pending)
    if codes:
        return render(request, "fundops/recovery_codes.html", {"codes": codes, "next": _next_url(request), "first_time": True})
    messages.success(request, _("Your authenticator app is set up. Use it the next time you sign in."))
    return redirect(_next_url(request, default="account_security"))


def _new_recovery_codes(user):
    """Replaces every recovery code the user had; the new ones are shown once, never stored readable elsewhere."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@login_required
@require_POST
def recovery_codes(request):
    if _authenticator(request.user) is None:
        messages.error(request, _("Set up an authenticator app first; recovery codes back it up."))
        return redirect("account_security")
    with transaction.atomic():
        codes = _new_recovery_codes(request.user)
    return render(request, "fundops/recovery_codes.html", {"codes": codes, "next": reverse("account_security")})


@login_required
@require_POST
def turn_off(request):
    """Only for people whose role does not require a second factor."""
    if security.second_factor_required(request.user):
        messages.error(request, _("Your role needs two-step sign-in, so it cannot be turned off."))
        return redirect("account_security")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).delete()
        StaticDevice.objects.filter(user=request.user).delete()
    messages.success(request, _("Two-step sign-in is off. You can turn it on again at any time."))
    return redirect("account_security")


def locked_out(request, response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: what happened, and when to try again."""
    username = get_client_username(request, credentials) or ""
    return render(
        request,
        "fundops/locked_out.html",
        {
            "username": username,
            "try_again_at": security.lockout_ends_at(username=username, ip_address=request.axes_ip_address),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
