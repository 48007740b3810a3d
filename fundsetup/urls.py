from django.urls import path

app_name = "fundsetup"

urlpatterns: list = []
