from django.db import migrations, models


def count(apps, schema_editor):
    """The handled cases' working minutes from dispatch to reply, by the calendar as it is now."""
    from urbanmgmt.cases.services import handling_minutes

    Case = apps.get_model("cases", "Case")
    rows = (Case.objects.filter(handled_at__isnull=False, dispatched_at__isnull=False)
            .values_list("pk", "dispatched_at", "handled_at").order_by("pk"))
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:5000])
        if not chunk:
            return
        Case.objects.bulk_update([Case(pk=pk, handling_minutes=handling_minutes(dispatched, handled))
                                  for pk, dispatched, handled in chunk], ["handling_minutes"], batch_size=1000)
        last = chunk[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_case_ticket_count'),
    ]

    operations = [
        # Nullable without a default: a plain ADD COLUMN on SQLite too (no table rebuild, so
        # the append-only triggers of 0002 and the kpi covering indexes stay).
        migrations.AddField(
            model_name='case',
            name='handling_minutes',
            field=models.FloatField(blank=True, help_text="Working minutes from the dispatch to the department's reply.", null=True, verbose_name='handling time (working minutes)'),
        ),
        migrations.RunPython(count, migrations.RunPython.noop),
    ]
