"""The real-text figures of bench_hotline.py (issue #17): scope, category, filing without
review and dispatch on hand-labelled real citizens' complaints, which stay outside the
repository (their licence is unknown): HOTLINE_REAL_DIR names the folder holding
all_labelled.jsonl (the message and its label per line: scope, category_key, department,
bureau, set); without it the figures are skipped with a message."""

import json
import os
import random
from pathlib import Path

from common import ROOT, bench

# --- real citizens' text (issue #17): a labelled sample kept outside the repository ---------------

REAL_DIR = Path(os.environ.get("HOTLINE_REAL_DIR", "/work/data-local/hotline-real"))
RANDOM_SETS = ("sample", "sample_random3")  # random draws (the supplement is chosen by words)
FOLDS = 5


def real_labelled() -> list[dict] | None:
    """The hand-labelled real complaints (message and label per line), or None when absent."""
    for folder in (REAL_DIR, ROOT / "shared" / "data" / "hotline-real"):
        path = folder / "all_labelled.jsonl"
        if path.exists():
            return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return None


def real_text() -> None:
    """Scope, category, auto-filing and dispatch on real complaints: with the catalogue's and
    the bureaus' words alone (before any decision), then learned from the labels of four
    fifths and measured on the fifth left out (5-fold, each ticket measured once)."""
    items = real_labelled()
    if items is None:
        print(f"  real-text figures skipped: no all_labelled.jsonl in HOTLINE_REAL_DIR={REAL_DIR} "
              "(nor shared/data/hotline-real); see issue #17 for the labelled sample")
        return
    from urbanmgmt.hotline.learning import Example
    from urbanmgmt.hotline.models import Bureau
    from urbanmgmt.hotline.suggest import BUREAU, Suggester
    from urbanmgmt.hotline.training import build, seeds

    codes = {b.name: b.code for b in Bureau.objects.all()}
    truth = {i["id"]: i["category_key"] if i["scope"] == "in" else BUREAU + codes.get(i["bureau"], "QT")
             for i in items}
    before = Suggester()
    verdicts = {i["id"]: before.verdict(i["title"], i["text"]) for i in items}
    score(items, truth, verdicts, "_before_learning")
    rng = random.Random(17)
    order = items[:]
    rng.shuffle(order)
    seed, learned = seeds(), {}
    for k in range(FOLDS):
        train_on = [Example(f"{i['title']} {i['text']}{source_word(i)}", truth[i["id"]])
                    for n, i in enumerate(order) if n % FOLDS != k]
        models, _evaluation = build(seed, train_on)
        fold = Suggester(model=models)
        for i in order[k::FOLDS]:
            learned[i["id"]] = fold.verdict(i["title"], i["text"], i["platform_category"] or "")
    score(items, truth, learned, "")
    inside = [i for i in items if i["scope"] == "in"]
    right = sum(1 for i in inside if code_of(learned[i["id"]], before) == truth[i["id"]])
    top3 = sum(1 for i in inside if truth[i["id"]] in [c.code for c in learned[i["id"]].choices])
    bench("ticket_category_precision_after_learning", 100 * right / len(inside), "%")
    print(f"  ({len(items)} labelled real complaints, {len(inside)} in scope; learned from the clerks' labels "
          f"of 4/5, measured on the other 1/5, {FOLDS} folds; right category among the three choices: "
          f"{100 * top3 / len(inside):.1f} %)")


def source_word(item: dict) -> str:
    return f" §{item['platform_category']}" if item.get("platform_category") else ""


def code_of(verdict, suggester) -> str | None:
    if not verdict.in_scope:
        bureau = suggester.bureau_by_id.get(verdict.bureau_id)
        return "bureau:" + bureau.code if bureau else None
    category = suggester.by_id.get(verdict.category_id)
    return category.service_code if category else None


def score(items: list[dict], truth: dict, verdicts: dict, suffix: str) -> None:
    """The issue's figures for one set of verdicts (scope and filing on the random draws)."""
    from django.conf import settings

    from urbanmgmt.hotline.suggest import Suggester

    names = Suggester()
    randomly = [i for i in items if i["set"] in RANDOM_SETS]
    scope = sum(1 for i in randomly if verdicts[i["id"]].in_scope == (i["scope"] == "in"))
    filed = [i for i in randomly if verdicts[i["id"]].in_scope and verdicts[i["id"]].confidence
             >= settings.HOTLINE_REVIEW_BELOW]
    filed_right = sum(1 for i in filed if code_of(verdicts[i["id"]], names) == truth[i["id"]])
    inside = [i for i in items if i["scope"] == "in"]
    auto = [i for i in inside if verdicts[i["id"]].in_scope and verdicts[i["id"]].confidence
            >= settings.HOTLINE_REVIEW_BELOW]
    dispatched = sum(1 for i in items if destination(verdicts[i["id"]], names) == destination_of(i, truth))
    forwarded = sum(1 for i in randomly if verdicts[i["id"]].forward)
    forwarded_right = sum(1 for i in randomly if verdicts[i["id"]].forward and i["scope"] == "out")
    bench(f"ticket_scope_accuracy{suffix}", 100 * scope / len(randomly), "%")
    bench(f"ticket_category_precision{suffix}", 100 * filed_right / max(1, len(filed)), "%")
    bench(f"ticket_auto_rate{suffix}", 100 * len(auto) / len(inside), "%")
    bench(f"dispatch_suggestion_accuracy{suffix}", 100 * dispatched / len(items), "%")
    print(f"  ({len(randomly)} random real complaints: {len(filed)} filed without review, {filed_right} right; "
          f"{forwarded} forwarded without review, {forwarded_right} rightly out of scope; "
          f"{len(auto)} of {len(inside)} in-scope filed without review)")
    curve = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):  # HOTLINE_REVIEW_BELOW's trade-off
        sure = [i for i in randomly if verdicts[i["id"]].in_scope and verdicts[i["id"]].confidence >= threshold]
        good = sum(1 for i in sure if code_of(verdicts[i["id"]], names) == truth[i["id"]])
        curve.append(f"{threshold}: {len(sure)} filed, {100 * good / max(1, len(sure)):.0f} % right")
    print("  (review threshold → " + "; ".join(curve) + ")")


def destination(verdict, names) -> str | None:
    """Where the ticket goes: the department owning its category (the ownership register,
    city-wide rules: the labelled complaints are from another city) or the bureau."""
    from types import SimpleNamespace

    from urbanmgmt.org.services import suggest_department

    code = code_of(verdict, names)
    if code is None or code.startswith("bureau:"):
        return code
    if code not in _OWNERS:
        category = names.categories[code]
        category = type(category).objects.select_related("major").get(pk=category.pk)
        department = suggest_department(SimpleNamespace(category_id=category.pk, category=category, grid_id=None,
                                                        community_id=None, street_id=None, district_id=None))
        _OWNERS[code] = department.code if department else None
    return _OWNERS[code]


_OWNERS: dict[str, str | None] = {}


def destination_of(item: dict, truth: dict) -> str:
    return item["department"] if item["scope"] == "in" else truth[item["id"]]
