"""Print the current 6-digit code of a demo user's authenticator (the public demo secret only)."""
import time

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundops.demo import DEMO_TOTP_DEVICE_NAME, demo_totp_key


class Command(BaseCommand):
    help = "Print the current sign-in code for a demo staff user (officer, finance, finance2, admin)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="officer")

    def handle(self, *args, **options):
        # Only devices load_demo made from the published secret: a real person's code is never printed.
        device = TOTPDevice.objects.filter(
            user__username=options["username"], name=DEMO_TOTP_DEVICE_NAME, key=demo_totp_key(), confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"“{options['username']}” has no demo authenticator (run `make run` or load_demo first).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        seconds_left = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for {seconds_left} more seconds; a code works once)")
