"""The second-factor gate: a password alone opens nothing but the code step (or, for staff who have
no second factor yet, the enrolment page)."""
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from . import security


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware, which tells whether this session proved a second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            path = request.path_info
            if path.startswith(settings.STATIC_URL) or path == reverse("logout"):
                return self.get_response(request)
            if security.needs_code_step(user):
                target = reverse("verify")
            elif security.needs_enrolment(user):
                target = reverse("security_authenticator")
            else:
                return self.get_response(request)
            if path != target:
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
