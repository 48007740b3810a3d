"""The decision clock: a deadline fixed at submission, backfilled for applications already submitted."""
import datetime

from django.db import migrations, models


def backfill_decision_deadline(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    submitted = (
        Application.objects.filter(
            submitted_at__isnull=False,
            decision_deadline__isnull=True,
            fund__kind="rapid_response",
            fund__decision_target_hours__isnull=False,
        )
        .select_related("fund")
        .only("pk", "submitted_at", "fund__decision_target_hours")
    )
    batch = []
    for application in submitted.iterator(chunk_size=2000):
        application.decision_deadline = application.submitted_at + datetime.timedelta(
            hours=application.fund.decision_target_hours
        )
        batch.append(application)
        if len(batch) >= 2000:
            Application.objects.bulk_update(batch, ["decision_deadline"])
            batch = []
    if batch:
        Application.objects.bulk_update(batch, ["decision_deadline"])


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0002_initial"),
        ("fundops", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="decision_deadline",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(backfill_decision_deadline, migrations.RunPython.noop),
    ]
