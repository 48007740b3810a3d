from django.apps import AppConfig


class GranteeReportsConfig(AppConfig):
    name = "grantee_reports"
    verbose_name = "Grantee reports"
