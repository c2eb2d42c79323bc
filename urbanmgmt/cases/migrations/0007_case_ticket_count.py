import importlib

from django.db import migrations, models

# SQLite rebuilds cases_case to add a column with a default: the append-only triggers of
# 0002 (which name cases_case) are lifted first and installed again at the end (as in 0003).
_history = importlib.import_module("urbanmgmt.cases.migrations.0002_caseevent_append_only")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_evidence_and_tasks'),
    ]

    operations = [
        migrations.RunPython(_history.backwards, _history.forwards),
        migrations.AddField(
            model_name='case',
            name='ticket_count',
            field=models.PositiveIntegerField(default=0, help_text='How many 12345 tickets are linked to this case (kept by the link and unlink services).', verbose_name='12345 tickets'),
        ),
        migrations.RunPython(_history.forwards, _history.backwards),
    ]
