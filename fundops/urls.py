from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import accounts, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="fundops/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", accounts.verify, name="verify"),
    path("accounts/security/", accounts.account_security, name="account_security"),
    path("accounts/security/authenticator/", accounts.authenticator, name="security_authenticator"),
    path("accounts/security/recovery-codes/", accounts.recovery_codes, name="security_recovery_codes"),
    path("accounts/security/turn-off/", accounts.turn_off, name="security_turn_off"),
    # One door in: the admin's own sign-in form would skip the code step's page.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("applications/", include("applications.urls")),
    path("reviews/", include("reviews.urls")),
    path("finance/", include("disbursements.urls")),
    path("reports/", include("reports.urls")),
    path("inbox/", include("fundops.notifications.urls")),
]
