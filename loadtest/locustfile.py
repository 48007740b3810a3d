"""Load test: applicants submitting, reviewers scoring, officers listing, donors downloading reports.

Run by `make loadtest` against a local gunicorn on a throw-away PostgreSQL database seeded by
loadtest/seed.py. Local addresses only: the test refuses any other host. Bounded in time
(--run-time) and in count (each applicant submits at most SUBMISSIONS_PER_APPLICANT
applications; each reviewer scores the assignments the seed gave them, then only reads).
"""
import itertools
import re
import time
from urllib.parse import urlparse

from locust import HttpUser, between, events, task

from loadtest.common import APPLICANTS, DONORS, FINANCE, FUND_SLUG, OFFICERS, PASSWORD, REVIEWERS, totp_now

SUBMISSIONS_PER_APPLICANT = 10
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_counters = {role: itertools.count() for role in ["applicant", "reviewer", "officer", "finance", "donor"]}
_sizes = {"applicant": APPLICANTS, "reviewer": REVIEWERS, "officer": OFFICERS, "finance": FINANCE, "donor": DONORS}


@events.test_start.add_listener
def _local_only(environment, **kwargs):
    host = urlparse(environment.host or "").hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"The load test runs against a local server only, not {environment.host!r}.")


def _csrf(response):
    found = _CSRF.search(response.text)
    return found.group(1) if found else ""


class FundopsUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    role = ""

    def on_start(self):
        self.username = f"{self.role}{next(_counters[self.role]) % _sizes[self.role]}"
        page = self.client.get("/accounts/login/", name="login page")
        response = self.client.post("/accounts/login/", {
            "username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page),
        }, name="sign in", headers={"Referer": self.host + "/accounts/login/"})
        if "/accounts/verify/" in response.url:
            self._second_factor(response)

    def _second_factor(self, page):
        """Type the authenticator's code; a code works once, so a second user of the same account waits a step."""
        for _attempt in range(3):
            response = self.client.post("/accounts/verify/", {"code": totp_now(), "csrfmiddlewaretoken": _csrf(page)},
                                        name="second factor", headers={"Referer": self.host + "/accounts/verify/"})
            if "/accounts/verify/" not in response.url:
                return
            page = response
            time.sleep(31 - time.time() % 30)
        raise RuntimeError(f"{self.username} could not pass the second factor")

    def post_form(self, url, page, data, name):
        return self.client.post(url, {"csrfmiddlewaretoken": _csrf(page), **data}, name=name,
                                headers={"Referer": self.host + url})


class Applicant(FundopsUser):
    weight = 5
    role = "applicant"

    def on_start(self):
        super().on_start()
        self.submitted = 0

    @task(3)
    def my_applications(self):
        self.client.get("/applications/", name="applicant: my applications")

    @task(2)
    def submit(self):
        if self.submitted >= SUBMISSIONS_PER_APPLICANT:
            return
        page = self.client.get("/applications/new/", name="applicant: new application")
        choice = re.search(r'name="choice" value="([0-9]+:[0-9]*)"', page.text)
        if not choice:
            return
        draft = self.post_form("/applications/new/", page, {"choice": choice.group(1)}, "applicant: start draft")
        found = re.search(r"/applications/(\d+)/edit/", draft.url)
        if not found:
            return
        pk = found.group(1)
        theme = re.search(r'name="themes" value="([^"]+)"', draft.text)
        self.post_form(f"/applications/{pk}/submit/", draft, {
            "title": f"Paralegal clinic {self.username}-{self.submitted}",
            "summary": "Train community paralegals to help families with land and inheritance claims.",
            "themes": theme.group(1) if theme else "", "countries": "KE", "requested_amount": "5000.00",
            "requested_currency": "USD", "planned_start": "2027-01-10", "planned_end": "2027-06-30",
        }, "applicant: submit")

    def post_form(self, url, page, data, name):
        if name != "applicant: submit":
            return super().post_form(url, page, data, name)
        response = self.client.post(url, {"csrfmiddlewaretoken": _csrf(page), **data}, name=name,
                                    headers={"Referer": self.host + url}, catch_response=True)
        with response as checked:
            if checked.status_code == 200 and re.search(r"/applications/\d+/$", urlparse(checked.url).path):
                self.submitted += 1
                checked.success()
            else:
                checked.failure(f"not submitted (landed on {urlparse(checked.url).path})")
        return response


class Reviewer(FundopsUser):
    weight = 4
    role = "reviewer"

    @task(2)
    def queue(self):
        self.client.get("/reviews/", name="reviewer: queue")

    @task(3)
    def score_one(self):
        queue = self.client.get("/reviews/", name="reviewer: queue")
        pending = re.findall(r"/reviews/assignments/(\d+)/declare/", queue.text)
        if pending:
            pk = pending[0]
            page = self.client.get(f"/reviews/assignments/{pk}/declare/", name="reviewer: declare page")
            self.post_form(f"/reviews/assignments/{pk}/declare/", page, {"has_conflict": "no", "reason": ""},
                           "reviewer: declare no conflict")
        else:
            open_ones = re.findall(r'href="/reviews/assignments/(\d+)/"', queue.text)
            if not open_ones:
                return
            pk = open_ones[0]
        page = self.client.get(f"/reviews/assignments/{pk}/", name="reviewer: score page")
        fields = set(re.findall(r'name="(score_\d+)"', page.text))
        if not fields:
            return  # already submitted: read-only
        data = {name: "4" for name in fields}
        data.update({name.replace("score_", "comment_"): "Clear plan, credible team." for name in fields})
        data.update({"recommendation": "fund", "comment": "Worth funding.", "submit": "1"})
        self.post_form(f"/reviews/assignments/{pk}/", page, data, "reviewer: submit review")


class Officer(FundopsUser):
    weight = 3
    role = "officer"

    @task
    def lists(self):
        for url, name in [("/applications/screening/", "officer: screening queue"), ("/reviews/ready/", "officer: ready"),
                          (f"/reviews/funds/{FUND_SLUG}/ranking/", "officer: ranking"), ("/", "officer: home"),
                          ("/reviews/calls/", "officer: calls")]:
            self.client.get(url, name=name)


class Finance(FundopsUser):
    weight = 1
    role = "finance"

    @task
    def lists(self):
        for url, name in [("/finance/", "finance: workspace"), ("/finance/payments/", "finance: payments"),
                          ("/finance/funds/", "finance: funds"), (f"/finance/funds/{FUND_SLUG}/", "finance: fund dashboard")]:
            self.client.get(url, name=name)


class Donor(FundopsUser):
    weight = 2
    role = "donor"

    @task
    def download(self):
        self.client.get("/reports/", name="donor: portal")
        page = self.client.get(f"/reports/funds/{FUND_SLUG}/", name="donor: fund reports")
        for pk in re.findall(r"/reports/requests/(\d+)/download/", page.text)[:1]:
            with self.client.get(f"/reports/requests/{pk}/download/", name="donor: download report",
                                 catch_response=True) as response:
                if response.status_code == 200 and response.headers.get("Content-Disposition", "").startswith("attachment"):
                    response.success()
                else:
                    response.failure(f"no file (HTTP {response.status_code})")
