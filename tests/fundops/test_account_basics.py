"""The account basics everyone meets: password reset by e-mail (which never skips the second factor),
the 403/404/500 pages, and the accessibility floor of every page (skip link, favicon, badge contrast).

Reset tests use a plain `django.test.Client`, not the suite's `client` fixture, which has already
passed the second factor for staff."""
import re
from pathlib import Path

import pytest
from django.core import mail
from django.template import loader
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.conftest import totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "quiet-river-at-dawn-42"


def ask_for_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def link_in(message):
    match = re.search(r"https?://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, f"no reset link in the e-mail:\n{message.body}"
    return match[1]


def choose_new_password(client, link, password=NEW_PASSWORD):
    """Open the link as the e-mail program would, then fill in the form it leads to."""
    opened = client.get(link)
    # Django moves the token out of the address into the session before showing the form.
    assert opened.status_code == 302
    form_page = client.get(opened["Location"])
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def assert_no_inline_script_or_style(html):
    """The Content-Security-Policy would block them: everything comes from static files."""
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


# Password reset ----------------------------------------------------------------


def test_the_sign_in_page_offers_a_password_reset():
    page = Client().get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Forgot your password?" in page


def test_reset_by_email_end_to_end(applicant):
    client = Client()
    form = client.get(reverse("password_reset"))
    assert form.status_code == 200 and "Reset your password" in form.content.decode()
    assert_no_inline_script_or_style(form.content.decode())

    sent = ask_for_reset(client, applicant.email)
    assert sent.status_code == 302 and sent["Location"] == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(sent["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [applicant.email]
    assert message.subject == "Choose a new password for fundops"
    assert applicant.username in message.body and "&amp;" not in message.body and "&#" not in message.body

    done = choose_new_password(client, link_in(message))
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    complete = client.get(done["Location"]).content.decode()
    assert "Your password is changed" in complete and f'href="{reverse("login")}"' in complete
    # Choosing the password does not sign anyone in: they sign in afresh, through every step.
    assert "_auth_user_id" not in client.session

    assert sign_in(Client(), applicant.username, PASSWORD).status_code == 200  # the old one no longer works
    signed_in = Client()
    response = sign_in(signed_in, applicant.username, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in.get(reverse("home")).status_code == 200


def test_a_reset_link_works_once(applicant):
    client = Client()
    ask_for_reset(client, applicant.email)
    link = link_in(mail.outbox[0])
    choose_new_password(client, link)

    again = Client().get(link, follow=True)
    page = again.content.decode()
    assert again.status_code == 200 and "This link no longer works" in page
    assert f'href="{reverse("password_reset")}"' in page


def test_an_unknown_address_gets_the_same_answer_and_no_email(applicant):
    known, unknown = Client(), Client()
    known_answer = ask_for_reset(known, applicant.email)
    mail.outbox.clear()
    unknown_answer = ask_for_reset(unknown, "nobody-here@example.org")

    assert mail.outbox == []
    assert (unknown_answer.status_code, unknown_answer["Location"]) == (known_answer.status_code, known_answer["Location"])
    assert unknown.get(unknown_answer["Location"]).content == known.get(known_answer["Location"]).content


def test_reset_pages_open_signed_out():
    client = Client()
    for url in (
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", kwargs={"uidb64": "MA", "token": "expired-link"}),
        reverse("password_reset_complete"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_script_or_style(response.content.decode())


def test_staff_still_need_their_code_after_a_reset(db):
    officer = factories.UserFactory(username="officer", roles=["program_officer"])
    device = TOTPDevice.objects.create(user=officer, name="Phone", confirmed=True)
    client = Client()
    ask_for_reset(client, officer.email)
    done = choose_new_password(client, link_in(mail.outbox[0]))
    assert done["Location"] == reverse("password_reset_complete")
    assert "_auth_user_id" not in client.session

    assert sign_in(client, officer.username, NEW_PASSWORD).status_code == 302
    # The new password alone opens nothing but the code step.
    for url in (reverse("home"), reverse("applications:screening")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("verify")), url
    client.post(reverse("verify"), {"code": totp_code(device)})
    assert client.get(reverse("applications:screening")).status_code == 200


# Error pages ---------------------------------------------------------------------


def test_a_missing_page_says_what_to_do_next(settings, applicant):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in page and "write to the fund team" in page
    assert f'href="{reverse("home")}"' in page and f'href="{reverse("login")}"' in page
    assert 'class="skip-link"' in page
    assert_no_inline_script_or_style(page)

    signed_in = Client()
    signed_in.force_login(applicant)
    page = signed_in.get("/no-such-page/").content.decode()
    assert "We could not find that page" in page and "Go to your home page" in page
    assert f'href="{reverse("login")}"' not in page  # already signed in


def test_a_refused_page_says_what_to_do_next(client, applicant):
    client.force_login(applicant)
    response = client.get(reverse("applications:screening"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "This page is not open to you" in page and "write to the fund team" in page
    assert f'href="{reverse("home")}"' in page


def test_the_server_error_page_needs_no_request_context_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    for page in (html, response.content.decode()):
        assert "Something went wrong on our side" in page and "try again" in page
        assert 'href="/"' in page and 'href="/accounts/login/"' in page and "fundops/fundops.css" in page
        assert_no_inline_script_or_style(page)


# Accessibility floor -----------------------------------------------------------------


def test_every_page_starts_with_a_skip_link_and_a_favicon(applicant):
    page = Client().get(reverse("login")).content.decode()
    skip = page.index('class="skip-link" href="#main"')
    assert skip < page.index("<header") and 'id="main"' in page
    assert re.search(r'<link rel="icon" href="/static/favicon\.svg" type="image/svg\+xml">', page)
    assert (ROOT / "static" / "favicon.svg").read_text().lstrip().startswith("<svg")
    assert "http" not in (ROOT / "static" / "favicon.svg").read_text().replace("http://www.w3.org/2000/svg", "")


def relative_luminance(hex_colour):
    """WCAG 2.x relative luminance of an sRGB colour written #rgb or #rrggbb."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background):
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def css_rules(path):
    """(selector, {property: value}) for each selector of each rule, in source order."""
    css = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip()) for name, _, value in (d.partition(":") for d in body.split(";")) if value
        )
        for selector in selectors.split(","):
            yield selector.strip(), declarations


def status_colours(path, base):
    """Each status class's final text and background colours, `var(--x)` resolved from :root."""
    rules = list(css_rules(path))
    variables = {name: value for selector, decl in css_rules(ROOT / "static/fundops/fundops.css") if selector == ":root" for name, value in decl.items()}
    resolve = lambda value: re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m[1]], value)  # noqa: E731
    colours = {}
    for selector, declarations in rules:
        if re.fullmatch(rf"\.{base}([.-][\w-]+)*", selector):
            own = colours.setdefault(selector, dict(colours.get(f".{base}", {"color": "var(--ink)"})))
            own.update({k: v for k, v in declarations.items() if k in ("color", "background")})
    return {s: {k: resolve(v) for k, v in c.items()} for s, c in colours.items() if "background" in c}


@pytest.mark.parametrize(
    "stylesheet, base, at_least",
    [("static/fundops/fundops.css", "badge", 25), ("static/css/clock.css", "clock", 3)],
)
def test_status_badges_are_readable(stylesheet, base, at_least):
    colours = status_colours(ROOT / stylesheet, base)
    assert len(colours) >= at_least, colours  # the parser found the status classes
    too_faint = {
        selector: round(contrast(c["color"], c["background"]), 2)
        for selector, c in colours.items()
        if contrast(c["color"], c["background"]) < 4.5
    }
    assert too_faint == {}, f"status text below 4.5:1 contrast: {too_faint}"


def test_the_focus_ring_stands_out():
    rules = dict(css_rules(ROOT / "static/fundops/fundops.css"))
    variables = rules[":root"]
    ring = rules[":focus-visible"]["outline"]
    assert ring.startswith("3px solid var(--focus)")
    for page_colour in ("--paper", "--wash"):
        assert contrast(variables["--focus"], variables[page_colour]) >= 3
    # On the brand-coloured top bar the ring turns light.
    assert rules[".topbar :focus-visible"]["outline-color"] == "var(--brand-ink)"
    assert contrast(variables["--brand-ink"], variables["--brand"]) >= 3
