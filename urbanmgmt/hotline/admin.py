import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from urbanmgmt.admin_utils import InLanguageChoices, InLanguageFilter, ReadOnlyAdmin, shown
from urbanmgmt.errors import DomainError
from urbanmgmt.hotline.knowledge_import import KnowledgeMapping, import_knowledge, tag_words, template
from urbanmgmt.hotline.mapping import parse_mapping
from urbanmgmt.hotline.models import (
    Bureau,
    ClassifierVersion,
    HotlineTicket,
    ImportRun,
    KnowledgeEntry,
    Open311Client,
    Place,
    TicketDecision,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KNOWLEDGE_MAX_BYTES = 20 * 2**20


@admin.register(HotlineTicket)
class HotlineTicketAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read here. A ticket is what the source sent (a re-import brings its newer version) and
    what the clerks decided on the review pages, each decision kept as an example the
    classifier learns from: an edit here would be neither."""

    list_display = ("external_id", "source", "received_at", "request_type", "state", "category", "case", "satisfaction")
    list_filter = ("source", "state", "request_type", "needs_review", "satisfaction")
    search_fields = ("external_id", "title", "address")
    list_select_related = ("category", "case")
    # The row as received on one line in place of its JSON (the export gives the row back).
    exclude = ("raw",)
    readonly_fields = ("row_as_received",)

    @admin.display(description=gettext_lazy("row as received"))
    def row_as_received(self, ticket: HotlineTicket) -> str:
        return json.dumps(ticket.received(), ensure_ascii=False)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    raw_id_fields = ("parent",)


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "created_at")


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """An import's record: what came, what went in, each refused row with its reason."""

    list_display = ("source", "filename", "started_at", "finished_at", "done", "total")


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "description", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "name_en", "keywords")


@admin.register(TicketDecision)
class TicketDecisionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The clerks' decisions: the classifier's labelled examples and the tickets' history."""

    list_display = ("decided_at", "kind", "in_scope", "category", "bureau", "department", "decided_by")
    list_filter = ("kind", "in_scope")
    raw_id_fields = ("ticket", "category", "bureau", "department", "decided_by")


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_at", "examples", "held_out")
    exclude = ("weights",)
    readonly_fields = ("version", "trained_at", "examples", "held_out", "decisions_seen", "evaluation")


class TagsField(forms.CharField):
    """An entry's tags typed as the spreadsheet gives them, "养犬、犬只、狗粪" (knowledge_import.tag_words),
    not as the JSON list the model keeps."""

    def prepare_value(self, value):
        return "、".join(map(str, value)) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        return tag_words(super().to_python(value))


class KnowledgeEntryForm(forms.ModelForm):
    tags = TagsField(label=capfirst(gettext_lazy("tags")), required=False,
                     help_text=gettext_lazy("Words citizens use for the matter, separated by commas (、 or ,)."),
                     widget=forms.TextInput(attrs={"size": 60}))

    class Meta:
        model = KnowledgeEntry
        fields = ("code", "question", "answer", "department", "bureau", "tags", "valid_from", "valid_to", "reviewed_at",
                  "reviewed_by", "active")


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(InLanguageChoices, admin.ModelAdmin):
    """The knowledge base (知识库): edited here, imported from a spreadsheet (the list's
    "Import" button), reviewed with the list's action."""

    form = KnowledgeEntryForm
    list_display = ("code", "question", "responsible_body", "validity", "reviewed_on", "active")
    list_filter = ("active", ("department", InLanguageFilter), ("bureau", InLanguageFilter))
    list_select_related = ("department", "bureau")
    search_fields = ("code", "question", "answer", "tags")
    raw_id_fields = ("reviewed_by",)
    readonly_fields = ("created_at", "updated_at")
    actions = ["mark_reviewed"]
    change_list_template = "admin/hotline/knowledgeentry/change_list.html"

    @admin.display(description=gettext_lazy("responsible"), ordering="department")
    def responsible_body(self, entry: KnowledgeEntry) -> str:
        """The department, or the bureau (outside city management) marked as such."""
        if entry.department_id:
            return shown(entry.department)
        if entry.bureau_id:
            return _("%(bureau)s (forwarded)") % {"bureau": shown(entry.bureau)}
        return "-"

    @admin.display(description=gettext_lazy("valid"), ordering="valid_from")
    def validity(self, entry: KnowledgeEntry) -> str:
        start, end = (f"{day:%Y-%m-%d}" if day else "" for day in (entry.valid_from, entry.valid_to))
        if start and end:
            return _("%(start)s to %(end)s") % {"start": start, "end": end}
        if start:
            return _("from %(start)s") % {"start": start}
        return _("until %(end)s") % {"end": end} if end else _("always")

    @admin.display(description=gettext_lazy("reviewed on"), ordering="reviewed_at")
    def reviewed_on(self, entry: KnowledgeEntry) -> str:
        return f"{entry.reviewed_at:%Y-%m-%d}" if entry.reviewed_at else "-"

    @admin.action(description=gettext_lazy("Mark as reviewed today"))
    def mark_reviewed(self, request, queryset):
        for entry in queryset:  # one by one: each save moves the index's version (knowledge.py)
            entry.reviewed_at, entry.reviewed_by = timezone.localdate(), request.user
            entry.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
        self.message_user(request, _("%(n)s entries marked as reviewed today.") % {"n": queryset.count()})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("import/", wrap(self.import_view), name="hotline_knowledgeentry_import"),
                path("template.xlsx", wrap(self.template_view), name="hotline_knowledgeentry_template"),
                *super().get_urls()]

    def template_view(self, request):
        response = HttpResponse(template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="knowledge-base-template.xlsx"'
        return response

    def import_view(self, request):
        """GET: the form; POST: import the sheet, show what was taken and every refused row."""
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Import the knowledge base from a spreadsheet")}
        upload = request.FILES.get("file") if request.method == "POST" else None
        if request.method == "POST":
            try:
                context["summary"] = self._import(upload, request.FILES.get("mapping"))
            except DomainError as exc:
                context["error"] = str(exc)
        return render(request, "admin/hotline/knowledgeentry/import.html", context)

    def _import(self, upload, mapping_file):
        if upload is None:
            raise DomainError(_("Choose a spreadsheet (XLSX or CSV)."))
        if upload.size > KNOWLEDGE_MAX_BYTES:
            raise DomainError(_("The file is larger than 20 MB: a knowledge base sheet should be far smaller."))
        mapping = KnowledgeMapping()
        if mapping_file is not None:
            mapping = parse_mapping(mapping_file.read(1 << 20).decode("utf-8", errors="replace"),
                                    mapping_file.name.lower().endswith(".json"), KnowledgeMapping)
        return import_knowledge(upload.file, upload.name, mapping)
