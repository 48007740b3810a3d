"""Start-up: `manage.py check` from a fresh process (median of 5), and which heavy libraries the
URLconf loads. "before" is the last commit (git archive HEAD into a temporary folder, same
virtualenv), "after" this working tree."""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
HEAVY = ["pandas", "openpyxl", "weasyprint", "reportlab", "pypdf", "numpy"]
PROBE = (
    "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'fundops.settings'); django.setup();"
    "from django.urls import get_resolver; get_resolver().url_patterns;"
    f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or '-')"
)


def _check_seconds(folder):
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "check"], cwd=folder, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def _heavy_loaded(folder):
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=folder, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else f"(failed: {done.stderr.strip().splitlines()[-1:]})"


def _head_copy():
    folder = Path(tempfile.mkdtemp(prefix="fundops-head-"))
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def run():
    env_note = os.environ.get("DATABASE_URL", "").split("@")[-1]
    rows = []
    head = _head_copy()
    if head is not None:
        rows.append(("before (HEAD)", head))
    rows.append(("after (working tree)", ROOT))
    print(f"manage.py check, fresh process, {RUNS} runs ({env_note}):")
    for label, folder in rows:
        try:
            median, low, high = _check_seconds(folder)
        except subprocess.CalledProcessError as error:
            print(f"  {label:<22} failed: {error.stderr.decode()[-300:]}")
            continue
        print(f"  {label:<22} median {median:.2f} s (min {low:.2f}, max {high:.2f}); "
              f"heavy modules loaded with the URLconf: {_heavy_loaded(folder)}", flush=True)
