"""Turns a notification row into words: templates/notifications/<kind>.txt, first line the subject,
a blank line, then the body. Rendered when shown or sent, never stored, so wording fixes reach old rows."""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context
from django.template.loader import get_template


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def absolute_url(path):
    """A path on this site as a link an e-mail can carry."""
    if not path:
        return settings.FUNDOPS_SITE_URL.rstrip("/") + "/"
    if urlsplit(path).scheme:
        return path
    return settings.FUNDOPS_SITE_URL.rstrip("/") + path


def template_context(notification):
    context = dict(notification.context or {})
    # Other links the caller passes as paths (letter_url) go out absolute too.
    for key, value in list(context.items()):
        if key.endswith("_url") and isinstance(value, str) and value.startswith("/"):
            context[key] = absolute_url(value)
    context.update(recipient=notification.recipient, url=absolute_url(notification.url), site_name=settings.FUNDOPS_SITE_NAME)
    return context


def render_text(template_name, context):
    # Plain text: nothing is HTML-escaped (an organisation called "Women & Law" stays so).
    return get_template(template_name).template.render(Context(context, autoescape=False))


def split_subject(text):
    subject, _, body = text.strip().partition("\n")
    # Tags on their own lines ({% if %}) leave runs of blank lines: one blank line between paragraphs.
    body = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", body.strip())
    # A subject is one line: a header with a newline in it would be refused by the mail library.
    return Rendered(subject=" ".join(subject.split()), body=body.strip() + "\n")


def render_notification(notification):
    return split_subject(render_text(f"notifications/{notification.kind}.txt", template_context(notification)))
