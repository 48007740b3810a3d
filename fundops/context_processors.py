from . import roles as role_checks
from .navigation import workspaces_for


def roles(request):
    user = getattr(request, "user", None)
    return {
        "user_roles": {role: role_checks.has_role(user, role) for role in role_checks.ROLES},
        "workspaces": workspaces_for(user) if user is not None and user.is_authenticated else [],
    }
