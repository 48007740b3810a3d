from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("funds/<slug:slug>/", views.fund, name="fund"),
    path("staff/funds/<slug:slug>/", views.fund_reports, name="fund_reports"),
    path("requests/<int:pk>/download/", views.download, name="download"),
]
