from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.inbox_open, name="open"),
    path("read-all/", views.inbox_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
]
