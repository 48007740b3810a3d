from django.apps import AppConfig


class DisbursementsConfig(AppConfig):
    name = "disbursements"

    def ready(self):
        from fundops.navigation import register_todos

        from .todo import TODOS

        for role, provider in TODOS:
            register_todos(role, provider)
