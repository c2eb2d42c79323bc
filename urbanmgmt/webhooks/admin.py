"""Webhooks in the admin (its permissions are the administrators' only): subscriptions kept
here, every event and delivery visible, deliveries replayed with their events' ids."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from urbanmgmt.jobs.models import JobState
from urbanmgmt.webhooks.models import Delivery, Event, EventType, Subscription
from urbanmgmt.webhooks.sending import replay


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=Subscription._meta.get_field("url").help_text)
    events = forms.TypedMultipleChoiceField(label=_("events"), choices=EventType.choices,
                                            widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscription
        fields = ["name", "url", "secret", "events", "active"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "event_types", "active", "failures", "paused_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]

    @admin.display(description=_("events"))
    def event_types(self, obj: Subscription) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.events)

    def save_model(self, request, obj: Subscription, form, change: bool) -> None:
        resumed = change and "active" in form.changed_data and obj.active
        if resumed:
            obj.failures, obj.paused_at = 0, None
        super().save_model(request, obj, form, change)
        if resumed:  # what waited while it was paused goes out now
            replay(list(obj.deliveries.filter(state=Delivery.State.PENDING).values_list("pk", flat=True)),
                   request.user)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "occurred_at"]
    list_filter = ["type"]
    search_fields = ["=id"]
    readonly_fields = ["id", "type", "occurred_at", "data"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "subscription", "state", "attempts", "last_status", "short_error",
                    "next_try", "last_attempt_at", "delivered_at"]
    list_filter = ["state", "event__type", "subscription"]
    search_fields = ["=event__id"]
    list_select_related = ["event", "subscription", "job"]
    readonly_fields = ["event", "subscription", "state", "attempts", "last_status", "last_error", "last_attempt_at",
                       "delivered_at", "job"]
    actions = ["replay_deliveries"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("type"), ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.get_type_display()

    @admin.display(description=_("last error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:120]

    @admin.display(description=_("next try"))
    def next_try(self, obj: Delivery):
        job = obj.job
        if obj.state != Delivery.State.PENDING or job is None:
            return None
        if job.state == JobState.RETRYING and job.run_after:
            return job.run_after
        return timezone.now() if job.state == JobState.QUEUED else None

    @admin.action(description=_("Send again with the same event ids"), permissions=["change"])
    def replay_deliveries(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        replay(ids, request.user)
        self.message_user(request, ngettext("%(n)s delivery is being sent again.",
                                            "%(n)s deliveries are being sent again.", len(ids)) % {"n": len(ids)},
                          messages.SUCCESS)
