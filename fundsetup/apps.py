from django.apps import AppConfig


class FundSetupConfig(AppConfig):
    name = "fundsetup"
    verbose_name = "Fund setup"
