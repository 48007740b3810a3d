"""The front page: each signed-in person's to-do list — what waits for them, in each role they hold —
and the workspaces their roles open."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .navigation import todos_for


@login_required
def home(request):
    return render(request, "fundops/home.html", {"todo_sections": todos_for(request.user)})
