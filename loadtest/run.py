"""`make loadtest`: gunicorn + a throw-away PostgreSQL database, Locust headless, figures, invariants.

1. creates database `fundops_load` on 127.0.0.1:5432 (dropped at the end, whatever happens),
   migrates it and seeds it (loadtest/seed.py);
2. starts gunicorn (gunicorn.conf.py, LOADTEST_WORKERS workers) on 127.0.0.1:LOADTEST_PORT, DEBUG off;
3. runs Locust headless: LOADTEST_USERS users (20), LOADTEST_SECONDS seconds (60);
4. prints requests/s, p50 and p95 per endpoint and the errors, then checks the money invariants.
Exit status 1 on any request error or broken invariant. Local addresses only.
"""
import csv
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "fundops_load"
PORT = int(os.environ.get("LOADTEST_PORT", "8765"))
USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
WORKERS = os.environ.get("LOADTEST_WORKERS", "4")


def _psql(statement):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement, "postgres"], check=True,
                   capture_output=True)


def _wait_for(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on {url}")


def _report(prefix):
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    print(f"\n{'endpoint':<34} {'requests':>9} {'fails':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    total = None
    for row in rows:
        if row["Name"] == "Aggregated":
            total = row
            continue
        print(f"{row['Name']:<34} {row['Request Count']:>9} {row['Failure Count']:>6} {float(row['Requests/s']):>7.1f} "
              f"{row['50%']:>7} {row['95%']:>7} {float(row['Max Response Time']):>7.0f}")
    if total:
        print(f"{'ALL':<34} {total['Request Count']:>9} {total['Failure Count']:>6} {float(total['Requests/s']):>7.1f} "
              f"{total['50%']:>7} {total['95%']:>7} {float(total['Max Response Time']):>7.0f}")
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
    for failure in failures:
        print(f"ERROR {failure['Method']} {failure['Name']}: {failure['Error']} ×{failure['Occurrences']}")
    return int(total["Failure Count"]) if total else 1


def main():
    workdir = Path(tempfile.mkdtemp(prefix="fundops-load-"))
    env = {
        **os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}", "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "MEDIA_ROOT": str(workdir / "media"),
        "CONN_MAX_AGE": "60", "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_WORKERS": WORKERS,
        "GUNICORN_ACCESS_LOG": str(workdir / "access.log"), "LOGIN_FAILURE_LIMIT": "1000",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "PYTHONPATH": str(ROOT),
    }
    python = sys.executable
    _psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DB}")
    server = None
    try:
        started = time.perf_counter()
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "-m", "loadtest.seed"], cwd=ROOT, env=env, check=True)
        print(f"database {DB} migrated and seeded in {time.perf_counter() - started:.0f} s", flush=True)
        server = subprocess.Popen([python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "fundops.wsgi"], cwd=ROOT, env=env,
                                  stdout=open(workdir / "gunicorn.log", "wb"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        _wait_for(f"http://127.0.0.1:{PORT}/accounts/login/")
        print(f"gunicorn: {WORKERS} workers on 127.0.0.1:{PORT}; Locust: {USERS} users for {SECONDS} s", flush=True)
        prefix = str(workdir / "locust")
        subprocess.run([python, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
                        "--host", f"http://127.0.0.1:{PORT}", "--users", str(USERS), "--spawn-rate", "10",
                        "--run-time", f"{SECONDS}s", "--stop-timeout", "10", "--csv", prefix, "--only-summary",
                        "--loglevel", "WARNING"], cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
        errors = _report(prefix)
        invariants = subprocess.run([python, "-m", "loadtest.invariants"], cwd=ROOT, env=env)
        print(f"\nlogs: {workdir}")
        return 1 if errors or invariants.returncode else 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        _psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
