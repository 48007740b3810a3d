"""gunicorn settings for fundops app servers (`gunicorn -c gunicorn.conf.py fundops.wsgi`).

Every value can be changed from the environment, so one file serves every machine:
GUNICORN_BIND (default 127.0.0.1:8000, behind a TLS proxy), GUNICORN_WORKERS (default 2 per
CPU core + 1), GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_MAX_REQUESTS. Run several app
servers on several machines behind the proxy: they share nothing but PostgreSQL and the object
storage (docs/deploy.md). Donor reports and imports never run here: the task worker does them.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers with a few threads each: the pages are database-bound, and threads let a worker
# answer while another request waits on PostgreSQL or the object storage.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Each worker is replaced after this many requests (with jitter, so they do not all restart at once):
# memory a long-lived process gathers is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Load the application in the master once, then fork: workers start fast and share its memory.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The proxy in front sets X-Forwarded-For/Proto; trust only it (default: the same machine).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "fundops"


def post_fork(server, worker):
    # A database connection opened by the master before forking must never be shared by workers.
    from django.db import connections

    connections.close_all()
