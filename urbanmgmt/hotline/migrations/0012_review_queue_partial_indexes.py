"""The review queue's orders read through indexes of its own tickets (WHERE needs_review).

The (needs_review, received_at) and (needs_review, doubt) indexes served no query on SQLite:
Django writes `needs_review=True` as `WHERE "needs_review"`, which SQLite matches to an index
only through a partial index of that very condition, so each page of the queue scanned the
whole ticket table and sorted it (1,036 ms for a page at 203,000 tickets; 0.24 ms through
the partial index). The partial indexes hold only the tickets to review, so an import writes
two index entries fewer for every ticket it files without review."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("hotline", "0011_drop_satisfaction_at_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="hotlineticket", name="hotline_hot_needs_r_7a5998_idx"),
        migrations.RemoveIndex(model_name="hotlineticket", name="hotline_hot_needs_r_b8d36a_idx"),
        migrations.AddIndex(
            model_name="hotlineticket",
            index=models.Index(condition=models.Q(("needs_review", True)), fields=["-doubt", "-received_at", "-id"],
                               name="ticket_review_doubt"),
        ),
        migrations.AddIndex(
            model_name="hotlineticket",
            index=models.Index(condition=models.Q(("needs_review", True)), fields=["-received_at", "-id"],
                               name="ticket_review_received"),
        ),
    ]
