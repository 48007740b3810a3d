from django.utils.functional import SimpleLazyObject

from . import roles as role_checks
from .models import Notification
from .navigation import workspaces_for


def roles(request):
    user = getattr(request, "user", None)
    return {
        "user_roles": {role: role_checks.has_role(user, role) for role in role_checks.ROLES},
        "workspaces": workspaces_for(user) if user is not None and user.is_authenticated else [],
    }


def inbox(request):
    """The unread count in the top bar: one COUNT, and only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count())}
