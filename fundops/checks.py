"""Deploy checks of our own: `manage.py check --deploy` fails while production would run on the demo key."""
from django.core.checks import Error, Tags, register

from . import security


@register(Tags.security, deploy=True)
def secret_key_is_not_the_demo_key(app_configs, **kwargs):
    if security.on_demo_key_in_production():
        return [
            Error(
                "SECRET_KEY is the public demo key while DEBUG is off.",
                hint=security.DEMO_KEY_MESSAGE,
                id="fundops.E001",
            )
        ]
    return []
