from django.urls import path

from . import rubric_views, views

app_name = "reviews"

urlpatterns = [
    # The reviewer's workspace
    path("", views.queue, name="queue"),
    path("submitted/", views.submitted, name="submitted"),
    path("assignments/<int:pk>/declare/", views.declare, name="declare"),
    path("assignments/<int:pk>/", views.score, name="score"),
    path("assignments/<int:pk>/vote/", views.panel_vote, name="panel_vote"),
    # The program officer's pages
    path("calls/", views.calls, name="calls"),
    path("ready/", views.ready, name="ready"),
    path("funds/<slug:slug>/assign/", views.assign, name="assign"),
    path("funds/<slug:slug>/ranking/", views.ranking, name="ranking"),
    path("funds/<slug:slug>/ranking/export/", views.ranking_export, name="ranking_export"),
    path("applications/<int:pk>/", views.assign_application, name="assign_application"),
    path("reviews/<int:pk>/reopen/", views.reopen, name="reopen"),
    # Rubrics, edited by program officers
    path("rubrics/<int:pk>/", rubric_views.rubric_edit, name="rubric_edit"),
    path("calls/<int:call_id>/rubric/", rubric_views.rubric_create_for_call, name="rubric_create_for_call"),
    path("funds/<slug:slug>/rubric/", rubric_views.rubric_create_for_fund, name="rubric_create_for_fund"),
]
