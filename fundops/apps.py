from django.apps import AppConfig


class FundopsConfig(AppConfig):
    name = "fundops"
    verbose_name = "Funds and members"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the deploy checks)
        from . import security

        user_logged_in.connect(security.start_session, dispatch_uid="fundops.security.start_session")
        user_locked_out.connect(security.report_lockout, dispatch_uid="fundops.security.report_lockout")
