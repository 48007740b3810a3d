"""Load the demo network: funds, donors, members, applications in every state, one user per role.

Each app contributes its own part through `<app>/demo.py`'s `load(stdout)`; running the
command twice changes nothing.
"""
import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_PARTS = ["fundops.demo", "applications.demo", "reviews.demo", "disbursements.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Load the demo funds, members, applications and one user per role (idempotent)."

    def handle(self, *args, **options):
        for module_name in DEMO_PARTS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.load(self.stdout)
        from fundops.demo import DEMO_PASSWORD, DEMO_USERS

        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in at http://127.0.0.1:8000/ with:"))
        for username, role_label in DEMO_USERS:
            self.stdout.write(f"  {role_label:<26} {username:<12} password: {DEMO_PASSWORD}")
