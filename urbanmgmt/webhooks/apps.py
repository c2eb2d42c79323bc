from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "urbanmgmt.webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from urbanmgmt.cases import rows
        from urbanmgmt.webhooks import outbox
        from urbanmgmt.webhooks.models import Subscription

        post_save.connect(outbox.forget_subscribers, sender=Subscription, dispatch_uid="webhooks.saved")
        post_delete.connect(outbox.forget_subscribers, sender=Subscription, dispatch_uid="webhooks.deleted")

        # Case history and 12345 answers are written without the ORM (cases/rows.py): no signal.
        if outbox.case_rows_inserted not in rows.inserted_hooks:
            rows.inserted_hooks.append(outbox.case_rows_inserted)
        if outbox.tickets_answered not in rows.answered_hooks:
            rows.answered_hooks.append(outbox.tickets_answered)
