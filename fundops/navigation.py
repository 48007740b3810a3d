"""The workspaces each role opens (top bar) and the to-do list each role sees on the front page."""
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import module_has_submodule

from . import roles

# (role, label, url name). A workspace appears once its URL exists.
WORKSPACES = [
    (roles.APPLICANT, "My applications", "applications:list"),
    (roles.APPLICANT, "Organisation profile", "applications:organization"),
    (roles.PROGRAM_OFFICER, "Screening queue", "applications:screening"),
    (roles.PROGRAM_OFFICER, "Reviews & ranking", "reviews:calls"),
    (roles.PROGRAM_OFFICER, "Fund dashboards", "disbursements:funds"),
    (roles.REVIEWER, "My review queue", "reviews:queue"),
    (roles.FINANCE_OFFICER, "Finance workspace", "disbursements:workspace"),
    (roles.DONOR, "Donor reports", "reports:portal"),
    (roles.PROGRAM_OFFICER, "Donor reports", "reports:portal"),
    (roles.FINANCE_OFFICER, "Fund dashboards", "disbursements:funds"),
    (roles.FINANCE_OFFICER, "Donor reports", "reports:portal"),
    (roles.PROGRAM_OFFICER, "Grantee reports", "grantee_reports:queue"),
    (roles.PROGRAM_OFFICER, "Fund setup", "fundsetup:funds"),
    # Finance (disbursements): many payments at once, and where grantees are paid.
    (roles.FINANCE_OFFICER, "Payments", "disbursements:payments"),
    (roles.FINANCE_OFFICER, "Payout accounts", "disbursements:accounts"),
    # Accounts (fundops/registration.py): self-registered organisations wait for staff to verify them.
    (roles.PROGRAM_OFFICER, "Organisations to verify", "organizations_pending"),
]


def workspaces_for(user):
    links, seen = [], set()
    for role, label, url_name in WORKSPACES:
        if url_name in seen or not roles.has_role(user, role):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        seen.add(url_name)
        links.append({"label": label, "url": url, "role": roles.ROLE_LABELS[role]})
    return links


# The to-do list ---------------------------------------------------------------------------
# Each app registers what waits for each role (in its AppConfig.ready), so the front page can
# show it without the core importing the apps that build on it.


@dataclass
class TodoItem:
    label: str
    url: str
    note: str = ""
    application: object = None  # shown with its decision clock when set


@dataclass
class Todo:
    """One list on a person's front page: how many things wait, where to do them, the first few."""

    label: str
    count: int
    url: str
    items: list = field(default_factory=list)
    urgent: bool = False


TOP_ITEMS = 5


def todo(label, queryset, url, item, *, urgent=False):
    """A to-do from a queryset: one COUNT and, when something waits, the first TOP_ITEMS rows
    (LIMIT in SQL) turned into TodoItems by `item` — two queries however many rows wait."""
    count = queryset.count()
    items = [item(row) for row in queryset[:TOP_ITEMS]] if count else []
    return Todo(label=label, count=count, url=url, items=items, urgent=urgent and count > 0)


def _todo_providers():
    """[(role, provider(user) -> [Todo])] from every installed app's `todo.TODOS`, in INSTALLED_APPS order.

    Found the way the admin finds admin.py modules, so fundops imports none of the apps that build on it.
    """
    providers = []
    for app in apps.get_app_configs():
        if module_has_submodule(app.module, "todo"):
            providers.extend(import_module(f"{app.name}.todo").TODOS)
    return providers


def todos_for(user):
    """[{"role": label, "todos": [Todo, ...]}, ...] for each role the user holds, in role order."""
    sections, providers = [], _todo_providers()
    for role in roles.ROLES:
        if not roles.has_role(user, role):
            continue
        todos = [todo for r, provider in providers if r == role for todo in provider(user)]
        if todos:
            sections.append({"role": roles.ROLE_LABELS[role], "todos": todos})
    return sections
