"""The front page: each signed-in person sees the workspaces their roles open."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "fundops/home.html")
