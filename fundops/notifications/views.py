"""The in-app inbox: what each person has been told, newest first, each a link straight to the work;
and the page where they choose how each kind is e-mailed."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fundops.models import Notification

from .forms import PreferencesForm
from .rendering import render_notification
from .services import inbox_mark_read, preferences_for, preferences_set

PAGE_SIZE = 25


@login_required
def inbox(request):
    notifications = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for notification in page:
        notification.recipient = request.user  # the templates greet the reader: no query per row
        items.append({"notification": notification, "subject": render_notification(notification).subject})
    return render(request, "notifications/inbox.html", {"page": page, "items": items})


@login_required
def inbox_open(request, pk):
    """Following a notification marks it read and goes straight to the work it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    inbox_mark_read(user=request.user, notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    count = inbox_mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    current = preferences_for(user=request.user)
    form = PreferencesForm(request.POST or None, user=request.user, current=current)
    if request.method == "POST" and form.is_valid():
        preferences_set(user=request.user, modes=form.cleaned_data)
        messages.success(request, _("Your e-mail choices are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
