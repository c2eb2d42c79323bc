"""Drop the (satisfaction_at) index: the covering kpi_ticket_callback index (kpi/0003)
begins with it and serves the callback date ranges (EXPLAIN QUERY PLAN), and each imported
ticket writes one index entry fewer."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("hotline", "0010_bureau_names_in_two_languages"),
        ("kpi", "0003_city_scale_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="hotlineticket", name="hotline_hot_satisfa_5a2434_idx"),
    ]
