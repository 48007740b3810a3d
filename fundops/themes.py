"""Theme lists a fund can start from. A fund keeps its own list (Fund.themes); these are the
defaults offered when it has none, and the Learning Agenda's themes the learning library uses."""
from django.utils.translation import gettext_lazy as _

DEFAULT_THEMES = [
    "Access to justice",
    "Land and environmental justice",
    "Gender justice and gender-based violence",
    "Citizenship and legal identity",
    "Labour and migrant workers' rights",
    "Health rights",
    "COVID-19 response",
    "Housing and evictions",
    "Criminal justice and pre-trial detention",
    "Indigenous peoples' rights",
    "Public services and accountability",
    "Community paralegals",
]

# The network's Learning Agenda (shared/seeds): (stable code, label).
LEARNING_THEMES = [
    ("building_power", _("Building power and systems change")),
    ("impact", _("Impact")),
    ("recognition_financing", _("Recognition and financing")),
    ("civic_space", _("Democracy and closing civic space")),
]
