"""Who is told: the active people holding a role. Administrators are told only through a role they
hold as a group, so a superuser's inbox is not every officer's inbox."""
from django.contrib.auth import get_user_model

from fundops import roles


def _active_with_role(role):
    return get_user_model().objects.filter(is_active=True, groups__name=role)


def program_officers():
    return _active_with_role(roles.PROGRAM_OFFICER)


def finance_officers(exclude=None):
    """Every finance officer; `exclude` (a user) leaves out the one who scheduled a payment (four eyes)."""
    people = _active_with_role(roles.FINANCE_OFFICER)
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people


def organisation_users(organization):
    return _active_with_role(roles.APPLICANT).filter(organization=organization)
