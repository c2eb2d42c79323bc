"""Learning from intake's decisions: record each decision as a labelled example, train a new
classifier version on them (with the catalogue's and the bureaus' keywords as a seed), and
evaluate it on decisions it did not learn from (k-fold: every decision is predicted once by
a model trained without it), precision per category kept with the version.

Dispatchers' decisions are read from the case history (each dispatch of a ticket's case,
the last one after an approved return), intake's from TicketDecision.

Training runs from the `train_classifier` command, and on the task queue after
HOTLINE_RETRAIN_AFTER new decisions: the deciding request only counts them once its
transaction has committed and queues the job (`retrain`), keyed by the newest version's last
decision and the batch of decisions, so that clerks deciding at once queue one retraining.
The new version reaches every process through the suggester's version check (suggest.py).
"""

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from urbanmgmt.cases import clock
from urbanmgmt.cases.models import CaseEvent, Channel
from urbanmgmt.cases.rows import update_many
from urbanmgmt.catalog.models import Category
from urbanmgmt.hotline.learning import BUREAU, Example, Linear, Models, fit_temperature_of, pack
from urbanmgmt.hotline.models import Bureau, ClassifierVersion, HotlineTicket, TicketDecision
from urbanmgmt.hotline.suggest import invalidate_suggester, suggester
from urbanmgmt.jobs.models import Job
from urbanmgmt.jobs.queue import background

FOLDS = 5
SEED_WEIGHT = 1.0
RESCORED_MAX = 5000  # queue tickets whose suggestions a new version renews


def record(ticket: HotlineTicket, kind: str, actor, *, in_scope: bool, category=None, bureau=None,
           department=None) -> TicketDecision:
    """Keep a decision about `ticket` as a labelled example; retrain after the commit when due."""
    decision = TicketDecision.objects.create(
        ticket=ticket, text=f"{ticket.title} {ticket.text}".strip(), source_category=ticket.source_category,
        kind=kind, in_scope=in_scope, category=category, bureau=bureau, department=department,
        decided_by=actor if getattr(actor, "pk", None) else None)
    transaction.on_commit(lambda: enqueue_retraining(decision.decided_by))
    return decision


def _since_newest() -> tuple[int, int]:
    """(the last decision the newest version learned, how many decisions came since)."""
    seen = ClassifierVersion.objects.aggregate(m=Max("decisions_seen"))["m"] or 0
    return seen, TicketDecision.objects.filter(pk__gt=seen).count()


def enqueue_retraining(started_by=None) -> Job | None:
    """Queue a retraining when HOTLINE_RETRAIN_AFTER decisions came since the newest version;
    the same job for every trigger of one batch (see the module's docstring)."""
    seen, new = _since_newest()
    if new < settings.HOTLINE_RETRAIN_AFTER:
        return None
    return retrain.enqueue(f"after {seen} #{new // settings.HOTLINE_RETRAIN_AFTER}", started_by=started_by)


def retrain_if_due() -> ClassifierVersion | None:
    """Train a new version when HOTLINE_RETRAIN_AFTER decisions came since the newest one."""
    if _since_newest()[1] < settings.HOTLINE_RETRAIN_AFTER:
        return None
    return train()


@background()
def retrain(job: Job) -> dict:
    """Train a new classifier version if it is still due (a version trained meanwhile, by
    the command or another job, may have learned these decisions already)."""
    stored = retrain_if_due()
    return {"version": stored.version if stored else None}


def retraining() -> Job | None:
    """The latest retraining job (the classifier page shows its state)."""
    return Job.objects.filter(kind=retrain.kind).order_by("-created_at", "-id").first()


def seeds() -> list[Example]:
    """The catalogue's and the bureaus' own words: what a model knows before any decision."""
    out = []
    for c in Category.objects.filter(active=True).only("service_code", "name_zh", "keywords"):
        out += [Example(word, c.service_code, SEED_WEIGHT, seed=True) for word in {c.name_zh, *c.keywords} if word]
    for b in Bureau.objects.filter(active=True):
        words = {b.name, *b.keywords, *b.description.split("、")}
        out += [Example(word, BUREAU + b.code, SEED_WEIGHT, seed=True) for word in words if word]
    return out


def decided() -> tuple[list[Example], list[Example], int]:
    """The labelled examples: (outcomes, departments, the last intake decision's id). Per
    ticket the latest intake decision; for a ticket whose case was dispatched, the case's
    category and its latest dispatch's department (after an approved return, the right one)
    from the case history, unless intake decided otherwise later."""
    latest: dict = {}
    last = 0
    rows = TicketDecision.objects.select_related("category", "bureau").annotate(
        ticket_title=F("ticket__title")).order_by("id")
    for d in rows.iterator(chunk_size=2000):
        latest[d.ticket_id or f"d{d.pk}"] = d
        last = d.pk
    outcomes, departments = [], []
    for d in latest.values():
        text = _text(d.text, d.source_category)
        label = (d.category.service_code if d.category else None) if d.in_scope else (
            BUREAU + d.bureau.code if d.bureau else None)
        if label:
            # The title as it was when decided: the decision's text begins with it.
            title = d.ticket_title if d.ticket_title and d.text.startswith(d.ticket_title) else ""
            outcomes.append(Example(text, label, title=title))
    for ticket, category, department in dispatched():
        decision = latest.get(ticket.pk)
        if decision is not None and not decision.in_scope:
            continue
        text = _text(f"{ticket.title} {ticket.text}".strip(), ticket.source_category)
        if decision is None and category:
            outcomes.append(Example(text, category, title=ticket.title))
        departments.append(Example(text, department))
    return outcomes, departments, last


def dispatched():
    """(ticket, its case's category code, the department of the case's latest dispatch) for
    every 12345 ticket whose case was dispatched, from the append-only case history."""
    to = {}
    events = CaseEvent.objects.filter(action="dispatch", case__channel=Channel.HOTLINE).order_by("id")
    for case_id, payload in events.values_list("case_id", "payload").iterator(chunk_size=5000):
        if (payload or {}).get("department"):
            to[case_id] = payload["department"]
    tickets = HotlineTicket.objects.filter(case_id__in=list(to)).exclude(in_scope=False).select_related(
        "case__category").only("id", "title", "text", "source_category", "case_id", "case__category__service_code")
    for ticket in tickets.iterator(chunk_size=2000):
        category = ticket.case.category
        yield ticket, category.service_code if category else None, to[ticket.case_id]


def _text(text: str, source_category: str | None) -> str:
    return f"{text} §{source_category}" if source_category else text


def build(seed: list[Example], examples: list[Example], folds: int = FOLDS) -> tuple[Models, dict]:
    """Models of all `examples` (and the seed) with their temperatures, and their evaluation
    on k-fold held-out predictions (each example predicted by models that did not learn it)."""
    held_out = cross_validate(seed, examples, folds)
    models = Models.fit([*seed, *examples])
    for part in PARTS:
        model = getattr(models, part)
        if model is not None:
            model.temperature = fit_temperature_of([row[part] for row in held_out if part in row])
    predictions = []
    for row in held_out:
        fold = row["fold"]
        for part in PARTS:
            if getattr(fold, part) is not None:
                getattr(fold, part).temperature = getattr(models, part).temperature
        predictions.append((fold.outcomes(row["found"]), row["truth"]))
    evaluation = evaluate(predictions)
    models.file_above = evaluation["file_above"]
    return models, evaluation


PARTS = ("scope", "categories", "bureaus")


def cross_validate(seed: list[Example], examples: list[Example], folds: int = FOLDS) -> list[dict]:
    """For each example: the models of its fold (trained without it), its features, and the
    raw scores of each part that bears on it (scope; categories or bureaus) with the truth."""
    out = []
    if len(examples) < 2:
        return out
    folds = min(folds, len(examples))
    for k in range(folds):
        fold = Models.fit([*seed, *(e for i, e in enumerate(examples) if i % folds != k)])
        for e in examples[k::folds]:
            found, outside = fold.found(e.text, e.title, e.words()), e.label.startswith(BUREAU)
            row = {"fold": fold, "found": found, "truth": e.label,
                   "scope": (fold.scope_scores(found), fold.scope.labels, "out" if outside else "in")}
            part = "bureaus" if outside else "categories"
            model = getattr(fold, part)
            if model is not None:
                row[part] = (model.scores(fold.weighed(found)), model.labels, e.label)
            out.append(row)
    return out


def evaluate(predictions: list[tuple[list[tuple[str, float]], str]]) -> dict:
    """Held-out figures: accuracy, scope accuracy, precision per predicted label, the
    confidence from which filing without review was right HOTLINE_FILE_PRECISION of the time
    (`file_above`), and the share and precision of in-scope tickets filed without review."""
    per_label: dict[str, dict] = {}
    right = scope_right = 0
    filed: list[tuple[float, bool, bool]] = []  # (confidence, right, truly in scope) of those predicted in
    for ranked, truth in predictions:
        label = ranked[0][0]
        out_p = sum(q for name, q in ranked if name.startswith(BUREAU))
        predicted_out, truly_out = out_p >= 0.5, truth.startswith(BUREAU)
        scope_right += predicted_out == truly_out
        right += label == truth
        row = per_label.setdefault(label, {"predicted": 0, "right": 0})
        row["predicted"] += 1
        row["right"] += label == truth
        per_label.setdefault(truth, {"predicted": 0, "right": 0}).setdefault("support", 0)
        per_label[truth]["support"] = per_label[truth].get("support", 0) + 1
        category = next(((name, q) for name, q in ranked if not name.startswith(BUREAU)), None)
        if not predicted_out and category is not None:
            filed.append((category[1], category[0] == truth, not truly_out))
    n, in_scope = len(predictions), sum(1 for _r, truth in predictions if not truth.startswith(BUREAU))
    for row in per_label.values():
        row["precision"] = round(row["right"] / row["predicted"], 4) if row["predicted"] else None
    above = file_above([(p, ok) for p, ok, _inside in filed])
    auto = [ok for p, ok, inside in filed if inside and p >= max(above, settings.HOTLINE_REVIEW_BELOW)]
    return {"n": n, "accuracy": round(right / n, 4) if n else None,
            "scope_accuracy": round(scope_right / n, 4) if n else None, "file_above": above,
            "auto_rate": round(len(auto) / in_scope, 4) if in_scope else None,
            "auto_precision": round(sum(auto) / len(auto), 4) if auto else None, "per_label": per_label}


FILE_LEAST = 20  # held-out tickets below which a version cannot tell its own threshold


def file_above(held_out: list[tuple[float, bool]], least: int = FILE_LEAST) -> float:
    """The lowest confidence from which the held-out tickets a version would file without
    review were right at least HOTLINE_FILE_PRECISION of the time: (confidence, right) of
    each ticket predicted in scope. 1.0 (review all) when no confidence reaches it; 0.0 (the
    setting HOTLINE_REVIEW_BELOW alone decides) with fewer than `least` such tickets."""
    if len(held_out) < least:
        return 0.0
    ranked = sorted(held_out, key=lambda item: -item[0])
    best, right = 1.0, 0
    for n, (p, ok) in enumerate(ranked, 1):
        right += ok
        last_of_its_confidence = n == len(ranked) or ranked[n][0] < p  # a threshold files all its ties
        if last_of_its_confidence and n >= least and right / n >= settings.HOTLINE_FILE_PRECISION:
            best = p
    return round(best, 4)


def train(log: Callable[[str], None] | None = None) -> ClassifierVersion | None:
    """Train, evaluate and store a new classifier version; the suggester serves it at once
    here (other processes within the suggester's TTL) and the review queue is scored again."""
    seed = seeds()
    outcomes, departments, last = decided()
    models, evaluation = build(seed, outcomes)
    version = (ClassifierVersion.objects.aggregate(m=Max("version"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            stored = ClassifierVersion.objects.create(
                version=version, trained_at=clock.now(), examples=len(seed) + len(outcomes),
                held_out=evaluation["n"], decisions_seen=last, evaluation=evaluation,
                weights=pack(models, Linear.fit(departments) if departments else None))
    except IntegrityError:  # another process trained the same version meanwhile
        return None
    invalidate_suggester()
    rescored = rescore_queue()
    if log:
        log(f"v{version}: {len(outcomes)} decisions, {len(departments)} with a department; held out: "
            f"accuracy {evaluation['accuracy']}, scope {evaluation['scope_accuracy']}; {rescored} queued tickets "
            f"scored again")
    return stored


def rescore_queue() -> int:
    """The suggestions and doubt of the tickets waiting for review, by the newest version."""
    queue = list(HotlineTicket.objects.filter(needs_review=True).order_by("-received_at")[:RESCORED_MAX])
    s = suggester()
    for ticket in queue:
        verdict = s.verdict(ticket.title, ticket.text, ticket.source_category)
        ticket.suggestions = [c.as_dict() for c in verdict.choices]
        ticket.doubt, ticket.model_version = verdict.doubt, verdict.version
    update_many(queue, ("suggestions", "doubt", "model_version"))
    return len(queue)
