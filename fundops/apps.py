from django.apps import AppConfig


class FundopsConfig(AppConfig):
    name = "fundops"
    verbose_name = "Funds and members"
