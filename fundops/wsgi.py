import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundops.settings")
application = get_wsgi_application()

from fundops.security import refuse_demo_key_in_production  # noqa: E402  (needs the settings loaded)

refuse_demo_key_in_production()
