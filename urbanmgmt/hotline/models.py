"""12345 hotline tickets (市民热线工单), the gazetteer that places them, Open311 clients."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from urbanmgmt.cases.models import RequestType
from urbanmgmt.catalog.models import NamedInLanguage


class IntakeChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Website")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("Mobile app")
    EMAIL = "email", _("E-mail")
    OPEN311 = "open311", _("Open311 client")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("urgency", "Ordinary")
    URGENT = "urgent", pgettext_lazy("urgency", "Urgent")
    HARD = "hard", pgettext_lazy("urgency", "Hard")
    COMPLEX = "complex", pgettext_lazy("urgency", "Complex")


class Datum(models.TextChoices):
    WGS84 = "wgs84", "WGS84"
    GCJ02 = "gcj02", _("GCJ-02 (Gaode, Tencent)")
    BD09 = "bd09", _("BD-09 (Baidu)")


class PlaceMethod(models.TextChoices):
    COORDINATES = "coordinates", _("coordinates")
    GAZETTEER = "gazetteer", _("gazetteer")
    HAND = "hand", _("by hand, on the map")


class CategoryMethod(models.TextChoices):
    KEYWORDS = "keywords", _("catalogue keywords")
    WORDS = "words", _("catalogue words (a guess)")
    LEARNED = "learned", _("learned from the clerks' decisions")
    HAND = "hand", _("by hand")


class TicketState(models.TextChoices):
    UNPLACED = "unplaced", _("Waiting to be placed")
    ANSWERED = "answered", _("Answered at intake")
    OPEN = "open", _("With a case")
    REPLIED = "replied", _("Replied to the citizen")
    FORWARDED = "forwarded", pgettext_lazy("ticket", "Forwarded to a bureau")
    TO_ANSWER = "to_answer", _("Waiting for an answer")
    SET_ASIDE = "set_aside", _("Set aside: cannot be placed")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", pgettext_lazy("satisfaction", "Satisfied")
    BASIC = "basic", pgettext_lazy("satisfaction", "Basically satisfied")
    UNSATISFIED = "unsatisfied", pgettext_lazy("satisfaction", "Unsatisfied")
    UNREACHABLE = "unreachable", pgettext_lazy("satisfaction", "Not reached")


class Bureau(NamedInLanguage, models.Model):
    """A body outside city management that out-of-scope tickets are forwarded to (转办单位):
    a bureau, a utility, a township. Loaded from fixtures/hotline/bureaus.json, editable in the
    admin; its keywords seed the scope classifier. `name` is in the page's language; what goes
    back to the 12345 platform names it in Chinese (`name_zh`)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100, db_column="name")
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.CharField(_("what it handles"), max_length=300, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True,
                                help_text=_("Words in 12345 text that point to this bureau."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bureau (forwarding)")
        verbose_name_plural = _("bureaus (forwarding)")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class HotlineTicket(models.Model):
    """A citizen's request from the 12345 platform (工单), linked to the case it describes.

    Idempotent by (source, external_id): a re-import updates the ticket. The caller's
    contact is for intake staff only (dispatchers, admins), never in Open311 or other roles'
    views. `raw` keeps the row as received so results go back in the source's own format;
    the column that held the text keeps it once, in `text` (a complaint is the bulk of a row:
    `raw` holds null there, `text_column` names it, `received()` gives the row whole).
    """

    source = models.CharField(_("source system"), max_length=40)
    external_id = models.CharField(_("ticket number"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    intake_channel = models.CharField(_("intake channel"), max_length=12, choices=IntakeChannel.choices,
                                      default=IntakeChannel.PHONE)
    request_type = models.CharField(_("request type"), max_length=16, choices=RequestType.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("request"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("caller"), max_length=60, blank=True)
    contact_phone = models.CharField(_("caller's phone"), max_length=40, blank=True)

    original_lon = models.FloatField(_("original longitude"), null=True, blank=True)
    original_lat = models.FloatField(_("original latitude"), null=True, blank=True)
    datum = models.CharField(_("datum"), max_length=8, choices=Datum.choices, blank=True)
    point = models.PointField(_("location (WGS84)"), srid=4326, null=True, blank=True, spatial_index=False)
    place_method = models.CharField(_("placed by"), max_length=16, choices=PlaceMethod.choices, blank=True)
    place_confidence = models.FloatField(_("place confidence"), null=True, blank=True)
    place_match = models.CharField(_("gazetteer match"), max_length=200, blank=True)
    grid = models.ForeignKey("grids.UnitGrid", models.PROTECT, null=True, blank=True, related_name="+",
                             db_index=False, verbose_name=_("unit grid"))

    category = models.ForeignKey("catalog.Category", models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False, verbose_name=_("category"))
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    category_method = models.CharField(_("classified by"), max_length=16, choices=CategoryMethod.choices, blank=True)
    needs_review = models.BooleanField(_("category to review"), default=False)
    department = models.ForeignKey("org.Department", models.PROTECT, null=True, blank=True, related_name="+",
                                   db_index=False, verbose_name=_("department"))
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    # Scope (城管 or not): out of scope, the ticket is forwarded (转办) to a bureau and never makes a
    # case. These columns are nullable without defaults so that SQLite adds them without
    # rebuilding the table (its SpatiaLite point column); None reads as in scope, empty.
    in_scope = models.BooleanField(_("city management"), null=True, blank=True)
    scope_confidence = models.FloatField(_("scope confidence"), null=True, blank=True)
    bureau = models.ForeignKey(Bureau, models.PROTECT, null=True, blank=True, related_name="+", db_index=False,
                               verbose_name=_("forwarded to"))
    forward_reason = models.CharField(_("reason for forwarding"), max_length=300, null=True, blank=True)  # noqa: DJ001
    source_category = models.CharField(_("source's classification"), max_length=100, null=True,  # noqa: DJ001
                                       blank=True)
    # The classifier's three best outcomes with the words that led to each, and how likely
    # the chosen one is wrong (the review queue's order).
    suggestions = models.JSONField(_("suggestions"), null=True, blank=True)
    doubt = models.FloatField(_("doubt"), null=True, blank=True)
    model_version = models.PositiveIntegerField(_("classifier version"), null=True, blank=True)

    state = models.CharField(_("state"), max_length=10, choices=TicketState.choices, default=TicketState.UNPLACED)
    case = models.ForeignKey("cases.Case", models.PROTECT, null=True, blank=True, related_name="tickets",
                             verbose_name=_("case"))
    link_reason = models.JSONField(_("link reason"), default=dict, blank=True,
                                   help_text=_("Why the ticket was linked to an existing case; empty when it made its own."))
    owns_case = models.BooleanField(_("made its case"), default=False)
    answer = models.TextField(_("answer at intake"), blank=True)
    reply = models.TextField(_("reply to the citizen"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField(_("actually resolved"), null=True, blank=True)
    satisfaction_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    raw = models.JSONField(_("row as received"), default=dict, blank=True)
    text_column = models.CharField(_("column of the text"), max_length=200, blank=True, editable=False)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("12345 ticket")
        verbose_name_plural = _("12345 tickets")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="ticket_source_id_unique")]
        # The review queue's orders over its own tickets only: SQLite reads `WHERE needs_review`
        # through an index only where the index has that very condition.
        indexes = [models.Index(fields=["state", "received_at"]), models.Index(fields=["received_at"]),
                   models.Index(fields=["-doubt", "-received_at", "-id"], condition=models.Q(needs_review=True),
                                name="ticket_review_doubt"),
                   models.Index(fields=["-received_at", "-id"], condition=models.Q(needs_review=True),
                                name="ticket_review_received")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def reference(self) -> str:
        """The ticket's key as cases know it (Case.external_ref of the case it made)."""
        return f"{self.source}:{self.external_id}"

    def received(self) -> dict:
        """The row as received, its text back in its column."""
        return received_row(self.raw, self.text_column, self.text)


def text_kept_once(raw: dict, column: str | None, text: str) -> str:
    """Null in `raw` the column that holds `text` exactly (the ticket keeps it): the column's
    name, or "" where none does (`raw` unchanged)."""
    if not text or not column or raw.get(column) != text:
        return ""
    raw[column] = None
    return column


def received_row(raw: dict | None, text_column: str, text: str) -> dict:
    """A ticket's `raw` with its text back in `text_column` (see text_kept_once)."""
    if not text_column or text_column not in (raw or {}):
        return dict(raw or {})
    return {k: text if k == text_column else v for k, v in raw.items()}


class TicketEvent(models.Model):
    """A step in a ticket's own history (工单记录) that is neither a case event nor a learning
    example: set aside as impossible to place, taken back, answered, called back, forwarded
    by the importer, linked to a case by hand or taken off one, its own case rejected (the
    case's code in `value`: the ticket no longer points to a case it left). Appended, never
    changed: the ticket page reads them beside its decisions."""

    class Kind(models.TextChoices):
        SET_ASIDE = "set_aside", _("Set aside: cannot be placed")
        TAKEN_BACK = "taken_back", _("Taken back into the queue")
        ANSWERED = "answered", _("Answered the citizen")
        CALLBACK = "callback", _("Callback recorded")
        FORWARDED = "forwarded", _("Forwarded when imported")
        LINKED = "linked", _("Linked by hand to case")
        UNLINKED = "unlinked", _("Taken off case")
        CASE_REJECTED = "case_reject", _("Its own case rejected")

    ticket = models.ForeignKey(HotlineTicket, models.CASCADE, related_name="events", verbose_name=_("12345 ticket"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    # The knowledge base entry the answer came from: answered at first contact (在线解答).
    entry = models.ForeignKey("KnowledgeEntry", models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("knowledge base entry"))
    # The callback's result (a Satisfaction value), so the history reads it in any language; the
    # bureau's code of a forward; the code of the case the ticket was taken off.
    value = models.CharField(_("result"), max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]


class Place(models.Model):
    """A gazetteer entry (地名): a district, street/township, community, road or place with
    a point or a polygon, and the other names people use for it. Loaded from fixtures and
    editable in the admin."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street / township")
        COMMUNITY = "community", _("Community")
        ROAD = "road", _("Road")
        POI = "poi", _("Place (building, estate, landmark)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    aliases = models.JSONField(_("other names"), default=list, blank=True)
    code = models.CharField(_("code"), max_length=20, blank=True)
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="children",
                               verbose_name=_("within"))
    point = models.PointField(_("point"), srid=4326, null=True, blank=True, spatial_index=False)
    geom = models.MultiPolygonField(_("area"), srid=4326, null=True, blank=True, spatial_index=False)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gazetteer place")
        verbose_name_plural = _("gazetteer")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name", "code"], name="place_kind_name_code_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Open311Client(models.Model):
    """A third-party application allowed to POST service requests with its API key."""

    name = models.CharField(_("name"), max_length=100)
    api_key = models.CharField(_("API key"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One import (file upload or command): progress while it runs, its summary after."""

    source = models.CharField(_("source system"), max_length=40)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written with each batch's progress: the import's last sign of life (its job's lease is
    # what the queue watches, urbanmgmt/jobs).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    rejects = models.TextField(_("refused rows (CSV)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    # How the file came, so that the results go back the same way (export_tickets).
    file_format = models.CharField(_("file format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    class Meta:
        verbose_name = _("ticket import")
        verbose_name_plural = _("ticket imports")
        ordering = ["-started_at"]


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Suggestion accepted")
    CORRECTED = "corrected", _("Category corrected")
    FORWARDED = "forwarded", _("Forwarded out of scope")
    KEPT = "kept", _("Kept in scope")
    DISPATCHED = "dispatched", _("Dispatched to a department")


class TicketDecision(models.Model):
    """A labelled example (学习样本): what intake staff or a dispatcher decided about a ticket,
    with the text as it was then. The classifier learns from the latest decision per ticket."""

    ticket = models.ForeignKey(HotlineTicket, models.SET_NULL, null=True, blank=True, related_name="decisions",
                               verbose_name=_("ticket"))
    text = models.TextField(_("title and text"))
    source_category = models.CharField(_("source's classification"), max_length=100, blank=True)
    kind = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    in_scope = models.BooleanField(_("city management"))
    category = models.ForeignKey("catalog.Category", models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    bureau = models.ForeignKey(Bureau, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("bureau"))
    department = models.ForeignKey("org.Department", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket decision")
        verbose_name_plural = _("ticket decisions (learning examples)")
        ordering = ["id"]


class ClassifierVersion(models.Model):
    """One trained classifier: when, from how many decisions, and how precise it was per
    category on decisions it did not learn from. The newest one serves."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained at"))
    examples = models.PositiveIntegerField(_("examples learned"))
    held_out = models.PositiveIntegerField(_("examples held out"))
    decisions_seen = models.PositiveIntegerField(_("last decision learned"), default=0)
    evaluation = models.JSONField(_("held-out evaluation"), default=dict, blank=True)
    weights = models.BinaryField(_("weights"))

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


class KnowledgeQuerySet(models.QuerySet):
    def valid_on(self, day) -> "KnowledgeQuerySet":
        """Entries that may answer a citizen on `day`: active, and `day` within their validity."""
        return self.filter(models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
                           models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day), active=True)


class KnowledgeEntry(models.Model):
    """An entry of the knowledge base (知识库, "一号答"): a question citizens ask and the answer
    the hotline gives at first contact, who is responsible for the matter, how long the answer
    holds, and when someone last checked it. Kept in the admin, imported from a spreadsheet
    (knowledge_import.py) by its code."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    department = models.ForeignKey("org.Department", models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("responsible department"))
    bureau = models.ForeignKey(Bureau, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("responsible bureau"),
                               help_text=_("When the matter is not city management: the bureau responsible."))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reviewed_at = models.DateField(_("reviewed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = KnowledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("knowledge base entry")
        verbose_name_plural = _("knowledge base entries")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.question}"

    @property
    def responsible(self) -> str:
        """The name of the department or bureau responsible, or ""."""
        return self.department.name if self.department_id else (self.bureau.name if self.bureau_id else "")
