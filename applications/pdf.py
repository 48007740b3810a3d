"""An application as a PDF: the core fields and the answers to its form, drawn by WeasyPrint from
templates/applications/application_pdf.html. Nothing is fetched while drawing (no network, no files)."""
from django.template.loader import render_to_string
from django.utils import timezone

from fundops.questionnaires.answers import answer_rows

from .services import application_form_for


def _fetch_nothing(url, *args, **kwargs):
    raise ValueError(f"An application PDF loads nothing from outside: {url}")


def application_pdf(application):
    from weasyprint import HTML  # heavy: loaded when a PDF is asked for, not with every page

    html = render_to_string("applications/application_pdf.html", {
        "application": application,
        "answer_rows": answer_rows(application_form_for(application), application.answers),
        "documents": application.attachments.all(),
        "printed_at": timezone.now(),
    })
    return HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()
