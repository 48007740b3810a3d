"""The workspaces each role opens, shown in the top bar and on the front page."""
from django.urls import NoReverseMatch, reverse

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
