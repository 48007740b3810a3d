"""`make bench`: every benchmark module (benchmarks/bench_*.py) against a throw-away database.

PostgreSQL when it can be had: DATABASE_URL if it points at PostgreSQL, else a database
`fundops_bench` created (and dropped afterwards) on 127.0.0.1:5432 when a server answers there;
otherwise SQLite in a temporary folder, and it says so. DEBUG is off, as in production.
BENCH_SCALE (default 1) multiplies every row count: BENCH_SCALE=0.1 runs a tenth of the size.
Each module's `run()` prints its own figures; nothing here asserts a timing.

    python -m benchmarks                 # all
    python -m benchmarks pages reports   # the modules whose names contain these words
"""
import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "fundops_bench"


def scale():
    return float(os.environ.get("BENCH_SCALE", "1"))


def scaled(count, minimum=1):
    return max(minimum, int(round(count * scale())))


def _postgres_admin():
    """A connection to the local PostgreSQL server's maintenance database, or None."""
    try:
        import psycopg

        return psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3)
    except Exception as error:  # no server, no role, no driver: SQLite instead
        print(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({str(error).strip().splitlines()[0]}).", flush=True)
        return None


def choose_database(workdir):
    """Sets DATABASE_URL; returns a function that drops the throw-away database (or does nothing)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        print(f"database: PostgreSQL from DATABASE_URL ({url.rsplit('@', 1)[-1]})", flush=True)
        return lambda: None
    if url:
        print(f"database: {url} (from DATABASE_URL)", flush=True)
        return lambda: None
    admin = _postgres_admin()
    if admin is None:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        print("database: SQLite (fallback) — the issue's targets are for PostgreSQL; figures here are not comparable.",
              flush=True)
        return lambda: None
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
    print(f"database: PostgreSQL, throw-away database {BENCH_DB} on 127.0.0.1:5432", flush=True)

    def drop():
        from django.db import connections

        connections.close_all()
        again = _postgres_admin()
        if again is not None:
            with again:
                again.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    return drop


def main(selected):
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="fundops-bench-"))
    os.environ.setdefault("MEDIA_ROOT", str(workdir / "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundops.settings")
    os.environ["DEBUG"] = "0"
    os.environ["FUNDOPS_BENCH_WORKDIR"] = str(workdir)
    drop = choose_database(workdir)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"BENCH_SCALE={scale():g}; migrated in {time.perf_counter() - started:.1f} s", flush=True)
        names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
        if selected:
            names = [n for n in names if any(s in n for s in selected)]
        if not names:
            print("no benchmarks found", file=sys.stderr)
            return 1
        for name in names:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"\n== {name} ==", flush=True)
            try:
                module.run()
            except Exception as error:  # one broken module must not hide the others' figures
                import traceback

                traceback.print_exc()
                print(f"{name}: FAILED ({error.__class__.__name__}: {error})", flush=True)
        return 0
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
