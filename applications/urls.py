from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_create, name="create"),
    path("organisation/", views.organization_profile, name="organization"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/submit/", views.application_submit, name="submit"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="withdraw"),
    path("<int:pk>/answer/", views.application_answer, name="answer"),
    path("<int:pk>/pdf/", views.application_pdf, name="pdf"),
    path("documents/<int:pk>/", views.attachment_download, name="attachment"),
    path("screening/", views.screening, name="screening"),
    path("screening/<int:pk>/", views.review_detail, name="review_detail"),
]
