"""What waits for program officers in the core: organisations that registered themselves and wait
to be verified before they may submit."""
from django.urls import reverse
from django.utils.translation import gettext as _

from . import roles
from .models import Organization
from .navigation import TodoItem, todo


def _pending_item(organization):
    return TodoItem(label=organization.name, url=reverse("organizations_pending"),
                    note=f"{organization.country.name} · {organization.contact_email}")


def program_officer_todos(user):
    pending = Organization.objects.filter(
        verification_status=Organization.VerificationStatus.PENDING
    ).order_by("created_at", "pk")
    # Registrations are rare: the list appears only while one waits, not as a standing "nothing waiting".
    waiting = todo(_("Organisations to verify"), pending, reverse("organizations_pending"), _pending_item)
    return [waiting] if waiting.count else []


TODOS = [(roles.PROGRAM_OFFICER, program_officer_todos)]
