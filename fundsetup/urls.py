from django.urls import path

from . import views

app_name = "fundsetup"

urlpatterns = [
    path("", views.fund_list, name="funds"),
    path("funds/<slug:slug>/", views.fund_settings, name="fund"),
    path("funds/<slug:slug>/form/", views.fund_form_create, name="fund_form_create"),
    path("funds/<slug:slug>/calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/form/", views.call_form_create, name="call_form_create"),
    path("calls/<int:pk>/copy/", views.call_copy, name="call_copy"),
    path("forms/<int:pk>/", views.questionnaire_edit, name="questionnaire_edit"),
]
