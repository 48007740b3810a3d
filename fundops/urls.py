from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import accounts, registration_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="fundops/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset (Django's own views). The confirm step never signs the person in
    # (post_reset_login stays off): they sign in afresh, so staff still meet the code step.
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password_reset",
    ),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # A member organisation signs itself up; staff verify it; its people invite colleagues.
    path("accounts/register/", registration_views.register, name="register"),
    path("accounts/organisations/pending/", registration_views.organizations_pending, name="organizations_pending"),
    path("accounts/organisations/<int:pk>/verify/", registration_views.organization_verify, name="organization_verify"),
    path("accounts/organisations/<int:pk>/reject/", registration_views.organization_reject, name="organization_reject"),
    path("accounts/invite/", registration_views.invite, name="invite"),
    path("accounts/invitation/<str:token>/", registration_views.invitation_accept, name="invitation_accept"),
    path("accounts/organisation-documents/<int:pk>/", registration_views.organization_document_download,
         name="organization_document"),
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
    path("grants/", include("grantee_reports.urls")),
    path("setup/", include("fundsetup.urls")),
    path("inbox/", include("fundops.notifications.urls")),
]
