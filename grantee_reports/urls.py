from django.urls import path

app_name = "grantee_reports"

urlpatterns: list = []
