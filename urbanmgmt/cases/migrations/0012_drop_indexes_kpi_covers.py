"""Drop the case indexes that a covering index of kpi/0003 begins with: (channel,
reported_at) is the head of kpi_case_collect and (due_at) of kpi_case_due, so every query
that used them is served by those (EXPLAIN QUERY PLAN: the channel and date ranges, the
deadline ranges), and each new case writes two index entries fewer (the 12345 import)."""

from django.db import migrations, models

DUE_AT_INDEX = "cases_case_due_at_8d624b85"


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0011_labels_in_one_language"),
        ("kpi", "0003_city_scale_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="case", name="cases_case_channel_ce618f_idx"),
        # As SQL: an AlterField of db_index would make SQLite rebuild the whole case table.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(f"DROP INDEX IF EXISTS {DUE_AT_INDEX}",
                                                   f"CREATE INDEX IF NOT EXISTS {DUE_AT_INDEX} ON cases_case (due_at)")],
            state_operations=[migrations.AlterField(
                model_name="case", name="due_at",
                field=models.DateTimeField(blank=True, null=True, verbose_name="deadline"))],
        ),
    ]
