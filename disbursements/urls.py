from django.urls import path

from . import views

app_name = "disbursements"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("applications/<int:pk>/approve/", views.approve, name="approve"),
    path("applications/<int:pk>/grant/", views.grant_detail, name="grant_detail"),
    path("applications/<int:pk>/grant/cancel/", views.grant_cancel, name="grant_cancel"),
    path("applications/<int:pk>/award-letter.pdf", views.award_letter, name="award_letter"),
    path("tranches/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("payments/<int:pk>/approve/", views.payment_approve, name="payment_approve"),
    path("payments/<int:pk>/record/", views.payment_record, name="payment_record"),
    path("payments/<int:pk>/<slug:action>/", views.payment_change, name="payment_change"),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("reconcile/lines/<int:pk>/resolve/", views.statement_line_resolve, name="statement_line_resolve"),
    path("funds/", views.funds, name="funds"),
    path("funds/<slug:slug>/", views.fund_dashboard, name="fund_dashboard"),
]
