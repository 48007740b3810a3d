from django.urls import path

from . import views

app_name = "grantee_reports"

urlpatterns = [
    # Public: no sign-in needed.
    path("learning/", views.learning_library, name="learning"),
    # The grantee's grant and reports (and fund staff reading them).
    path("<int:pk>/", views.grant_page, name="grant"),
    path("<int:pk>/signed-letter/", views.signed_letter, name="signed_letter"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("reports/<int:pk>/", views.report_page, name="report"),
    path("reports/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("reports/attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    # Program officers.
    path("reports/", views.queue, name="queue"),
    path("reports/<int:pk>/review/", views.review, name="review"),
    path("funds/<slug:slug>/requirements/", views.requirements, name="requirements"),
    path("requirements/<int:pk>/", views.requirement_edit, name="requirement_edit"),
    path("requirements/<int:pk>/remove/", views.requirement_remove, name="requirement_remove"),
    path("requirements/<int:pk>/form/", views.requirement_form, name="requirement_form"),
]
