from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="fundops/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("applications/", include("applications.urls")),
    path("reviews/", include("reviews.urls")),
    path("finance/", include("disbursements.urls")),
    path("reports/", include("reports.urls")),
]
