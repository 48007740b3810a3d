"""Load the demo network: funds, donors, members, applications in every state, one user per role.

Each app contributes its own part through `<app>/demo.py`'s `load(stdout)`; running the
command twice changes nothing. The demo users' passwords and second-factor secret are public, so
the command runs only with DEBUG on (or DEMO_DATA_ALLOWED), never on a production configuration.
"""
import importlib
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PARTS = ["fundops.demo", "fundsetup.demo", "applications.demo", "reviews.demo", "disbursements.demo", "grantee_reports.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Load the demo funds, members, applications and one user per role (idempotent; DEBUG=1 only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DEBUG off — only ever on a throw-away database: the demo logins are public.",
        )

    def handle(self, *args, **options):
        if not (settings.DEBUG or settings.DEMO_DATA_ALLOWED or options["force"]):
            raise CommandError(
                "load_demo creates users whose passwords and second-factor secret are published in the "
                "README, so it refuses to run with DEBUG off. Run it through `make run` (DEBUG=1), or add "
                "--force on a throw-away database."
            )
        for module_name in DEMO_PARTS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.load(self.stdout)
        from fundops.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_TOTP_USERS, DEMO_USERS

        port = os.environ.get("PORT", "8000")  # `make run` passes the port it serves on
        self.stdout.write(self.style.SUCCESS(f"Demo loaded. Sign in at http://127.0.0.1:{port}/ with:"))
        for username, role_label in DEMO_USERS:
            second = "  + 6-digit code" if username in DEMO_TOTP_USERS else ""
            self.stdout.write(f"  {role_label:<26} {username:<12} password: {DEMO_PASSWORD}{second}")
        # Made by grantee_reports.demo: an organisation with an award, payments and reports to write.
        self.stdout.write(f"  {'Grantee (award, reports)':<26} {'grantee':<12} password: {DEMO_PASSWORD}")
        self.stdout.write(
            f"Staff ({', '.join(DEMO_TOTP_USERS)}) also type a 6-digit code after the password. Either add "
            f"this demo-only secret to an authenticator app: {DEMO_TOTP_SECRET}\n"
            "or print the current code with: .venv/bin/python manage.py demo_totp officer"
        )
