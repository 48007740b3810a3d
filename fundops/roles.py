"""Roles are auth groups; this module is the single permission check for each of them."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

APPLICANT = "applicant"
REVIEWER = "reviewer"
PROGRAM_OFFICER = "program_officer"
FINANCE_OFFICER = "finance_officer"
DONOR = "donor"
ROLES = [APPLICANT, REVIEWER, PROGRAM_OFFICER, FINANCE_OFFICER, DONOR]
ROLE_LABELS = {
    APPLICANT: "Applicant",
    REVIEWER: "Reviewer",
    PROGRAM_OFFICER: "Program officer",
    FINANCE_OFFICER: "Finance officer",
    DONOR: "Donor",
}


def user_roles(user):
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_fundops_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._fundops_roles = cached
    return cached


def has_role(user, role):
    """True when the user holds the role; superusers (administrators) hold every role."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or role in user_roles(user)


def is_applicant(user):
    return has_role(user, APPLICANT) and user.organization_id is not None


def is_reviewer(user):
    return has_role(user, REVIEWER)


def is_program_officer(user):
    return has_role(user, PROGRAM_OFFICER)


def is_finance_officer(user):
    return has_role(user, FINANCE_OFFICER)


def is_donor(user):
    return has_role(user, DONOR)


def role_required(role):
    """View decorator: signed in and holding `role`, else 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
