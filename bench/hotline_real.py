"""The real-text figures of bench_hotline.py (issue #17): scope, category, filing without
review and dispatch on hand-labelled real citizens' complaints. Our labels are committed
(fixtures/hotline/real_labels.jsonl: id, scope, category_key, department, bureau, set, note);
the complaints' text stays outside the repository (its licence is unknown): HOTLINE_REAL_DIR
(default /work/data-local/hotline-real, else ../data-local/hotline-real beside the checkout)
holds messages.jsonl (id, title, text, platform_category), rebuilt by
fixtures/hotline/build_real_messages.py. An older all_labelled.jsonl there (message and label
per line) is still read when messages.jsonl is absent; without either the figures are
skipped with a message. 200 of the labelled complaints were labelled again by a reader who saw
no label (fixtures/hotline/real_labels_blind.jsonl): how far two careful readers agree, and the
learned model against each."""

import json
import os
import random
from pathlib import Path

from common import ROOT, bench

# --- real citizens' text (issue #17): committed labels, text kept outside the repository ---------

LABELS = ROOT / "fixtures" / "hotline" / "real_labels.jsonl"
BLIND = ROOT / "fixtures" / "hotline" / "real_labels_blind.jsonl"  # a second reader's, not seeing the first's
REAL_DIRS = [Path(os.environ["HOTLINE_REAL_DIR"])] if os.environ.get("HOTLINE_REAL_DIR") else [
    Path("/work/data-local/hotline-real"), ROOT.parent / "data-local" / "hotline-real"]
RANDOM_SETS = ("sample", "sample_random2", "sample_random3")  # random draws (the supplement is chosen by words)
FOLDS = 5


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def real_labelled() -> list[dict] | None:
    """The hand-labelled real complaints (message and label per item), or None when the text
    is absent: the committed labels joined by id with the local messages.jsonl, else an older
    all_labelled.jsonl (both in one of REAL_DIRS or shared/data/hotline-real)."""
    folders = [*REAL_DIRS, ROOT / "shared" / "data" / "hotline-real"]
    for folder in folders:
        if (folder / "messages.jsonl").exists():
            messages = {m["id"]: m for m in read_jsonl(folder / "messages.jsonl")}
            labels = read_jsonl(LABELS)
            missing = [label["id"] for label in labels if label["id"] not in messages]
            if missing:
                print(f"  {len(missing)} of {len(labels)} labelled ids are not in {folder / 'messages.jsonl'} "
                      f"(e.g. {missing[:3]}): rebuild it with fixtures/hotline/build_real_messages.py")
            print(f"  (real text: {LABELS.relative_to(ROOT)} joined with {folder / 'messages.jsonl'})")
            return [{**{key: messages[label["id"]].get(key, "") for key in ("title", "text", "platform_category")},
                     **label} for label in labels if label["id"] in messages] or None
    for folder in folders:
        if (folder / "all_labelled.jsonl").exists():
            print(f"  (real text: {folder / 'all_labelled.jsonl'})")
            return read_jsonl(folder / "all_labelled.jsonl")
    return None


def real_text() -> None:
    """Scope, category, auto-filing and dispatch on real complaints: with the catalogue's and
    the bureaus' words alone (before any decision), then learned from the labels of four
    fifths and measured on the fifth left out (5-fold, each ticket measured once)."""
    items = real_labelled()
    if items is None:
        print(f"  real-text figures skipped: the labels are in {LABELS.relative_to(ROOT)}, but their text "
              f"(messages.jsonl) is in none of {', '.join(str(f) for f in REAL_DIRS)} (HOTLINE_REAL_DIR) nor "
              "shared/data/hotline-real; fixtures/hotline/README.md says how to rebuild it")
        return
    from urbanmgmt.hotline.learning import Example
    from urbanmgmt.hotline.models import Bureau
    from urbanmgmt.hotline.suggest import BUREAU, Suggester
    from urbanmgmt.hotline.training import build, seeds

    codes = {b.name_zh: b.code for b in Bureau.objects.all()}
    truth = {i["id"]: i["category_key"] if i["scope"] == "in" else BUREAU + codes.get(i["bureau"], "QT")
             for i in items}
    before = Suggester()
    verdicts = {i["id"]: before.verdict(i["title"], i["text"]) for i in items}
    score(items, truth, verdicts, "_before_learning")
    folds = grouped_folds(items)
    seed, learned = seeds(), {}
    for k in range(FOLDS):
        train_on = [Example(f"{i['title']} {i['text']}{source_word(i)}", truth[i["id"]], title=i["title"])
                    for i in items if folds[i["id"]] != k]
        models, _evaluation = build(seed, train_on)  # temperatures fitted inside the training folds
        fold = Suggester(model=models)
        for i in items:
            if folds[i["id"]] == k:
                learned[i["id"]] = fold.verdict(i["title"], i["text"], i["platform_category"] or "")
    score(items, truth, learned, "")
    version_load(models, items)
    inside = [i for i in items if i["scope"] == "in"]
    right = sum(1 for i in inside if code_of(learned[i["id"]], before) == truth[i["id"]])
    top3 = sum(1 for i in inside if truth[i["id"]] in [c.code for c in learned[i["id"]].choices])
    bench("ticket_category_precision_after_learning", 100 * right / len(inside), "%")
    print(f"  ({len(items)} labelled real complaints, {len(inside)} in scope; learned from the clerks' labels "
          f"of 4/5, measured on the other 1/5, {FOLDS} folds, near-duplicates kept in one fold; right category "
          f"among the three choices: {100 * top3 / len(inside):.1f} %)")
    per_category(items, truth, learned, before)
    readers(items, truth, learned, before, lambda label: label["department"] if label["scope"] == "in"
            else BUREAU + codes.get(label["bureau"], "QT"))


def readers(items: list[dict], truth: dict, verdicts: dict, names, where) -> None:
    """How far two careful readers agree, and the learned model with each, on the 200
    labelled complaints a second reader labelled again without seeing the first labels
    (BLIND: 150 drawn from the first reader's in-scope ones, 50 from the out-of-scope ones).
    What two readers disagree on bounds what a model can be measured to reach against one
    reader's labels."""
    first = {i["id"]: i for i in items}
    second = [label for label in read_jsonl(BLIND) if label["id"] in first]
    if not second:
        return
    inside = [s for s in second if first[s["id"]]["scope"] == "in"]
    outside = [s for s in second if first[s["id"]]["scope"] == "out"]

    def count(labels, same) -> int:
        return sum(map(same, labels))

    def share(labels, same) -> str:
        return f"{count(labels, same)}/{len(labels)}"

    def same_category(s) -> bool:
        return s["category_key"] == first[s["id"]]["category_key"]

    def same_destination(s) -> bool:
        return where(s) == where(first[s["id"]])

    def second_category(s) -> str:  # the second reader's category, or its bureau where it put the complaint out
        return s["category_key"] or where(s)

    def category(s):  # the learned model's
        return code_of(verdicts[s["id"]], names)

    def goes(s):
        return destination(verdicts[s["id"]], names)

    bench("ticket_readers_scope_agreement",
          100 * count(second, lambda s: s["scope"] == first[s["id"]]["scope"]) / len(second), "%")
    bench("ticket_readers_category_agreement", 100 * count(inside, same_category) / len(inside), "%")
    bench("ticket_readers_destination_agreement", 100 * count(second, same_destination) / len(second), "%")
    print(f"  (the {len(second)} labelled again: the readers' categories agree on {share(inside, same_category)} "
          f"of the first's in scope, destinations on {share(inside, same_destination)} in scope and "
          f"{share(outside, same_destination)} out of scope; the learned model's category is the first reader's on "
          f"{share(inside, lambda s: category(s) == truth[s['id']])}, the second's on "
          f"{share(inside, lambda s: category(s) == second_category(s))}, either's on "
          f"{share(inside, lambda s: category(s) in (truth[s['id']], second_category(s)))}; its destination the "
          f"first's on {share(second, lambda s: goes(s) == where(first[s['id']]))}, the second's on "
          f"{share(second, lambda s: goes(s) == where(s))}, either's on "
          f"{share(second, lambda s: goes(s) in (where(first[s['id']]), where(s)))})")


def version_load(models, items: list[dict]) -> None:
    """What a process pays before its first suggestion of a new version: reading the stored
    weights of a version learned from 4/5 of the labelled complaints (the last fold's), and
    its first ticket scored."""
    import time

    from urbanmgmt.hotline.learning import pack, unpack

    stored = pack(models, None)
    started = time.process_time()
    served, _departments = unpack(stored)
    served.outcomes(served.found(f"{items[0]['title']} {items[0]['text']}", items[0]["title"]))
    bench("classifier_version_load_ms", 1000 * (time.process_time() - started), "ms")
    print(f"  ({len(stored) / 2**20:.1f} MB stored, read and its first ticket scored, CPU time)")


def grouped_folds(items: list[dict]) -> dict[str, int]:
    """The fold of each message: messages whose character pairs overlap by half or more
    (re-postings, the same complaint sent again) form one group, and a group stays in one
    fold, so that no fold is measured on a text its model learned almost word for word."""
    from urbanmgmt.hotline.learning import features

    pairs = [features(f"{i['title']} {i['text']}") for i in items]
    group = list(range(len(items)))

    def root(a: int) -> int:
        while group[a] != a:
            group[a] = group[group[a]]
            a = group[a]
        return a

    import numpy as np
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    rows = [n for n, found in enumerate(pairs) for _f in found]
    columns = [vocabulary.setdefault(f, len(vocabulary)) for found in pairs for f in found]
    x = csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(items), len(vocabulary)))
    common = (x @ x.T).tocoo()
    sizes = [len(found) for found in pairs]
    for n, m, shared in zip(common.row, common.col, common.data, strict=True):
        if m < n and shared >= 0.5 * (sizes[n] + sizes[m] - shared):
            group[root(n)] = root(m)
    roots = sorted({root(n) for n in range(len(items))})
    random.Random(17).shuffle(roots)
    fold_of = {r: k % FOLDS for k, r in enumerate(roots)}
    return {i["id"]: fold_of[root(n)] for n, i in enumerate(items)}


def per_category(items: list[dict], truth: dict, verdicts: dict, names) -> None:
    """Held-out precision per suggested category (what the manager's page shows per version)."""
    rows: dict[str, list[int]] = {}
    for i in items:
        code = code_of(verdicts[i["id"]], names)
        if code and not code.startswith("bureau:"):
            row = rows.setdefault(code, [0, 0])
            row[0] += 1
            row[1] += code == truth[i["id"]]
    shown = sorted(rows.items(), key=lambda kv: -kv[1][0])
    print("  (precision per suggested category, held out: " + "; ".join(
        f"{code} {right}/{n} {100 * right / n:.0f} %" for code, (n, right) in shown) + ")")


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

    from urbanmgmt.hotline.suggest import Suggester

    names = Suggester()
    randomly = [i for i in items if i["set"] in RANDOM_SETS]
    scope = sum(1 for i in randomly if verdicts[i["id"]].in_scope == (i["scope"] == "in"))
    filed = [i for i in randomly if verdicts[i["id"]].filed]
    filed_right = sum(1 for i in filed if code_of(verdicts[i["id"]], names) == truth[i["id"]])
    inside = [i for i in items if i["scope"] == "in"]
    auto = [i for i in inside if verdicts[i["id"]].filed]
    everywhere = [i for i in items if verdicts[i["id"]].filed]
    everywhere_right = sum(1 for i in everywhere if code_of(verdicts[i["id"]], names) == truth[i["id"]])
    where = {i["id"]: (destination(verdicts[i["id"]], names), destination_of(i, truth)) for i in items}
    dispatched = sum(1 for got, wanted in where.values() if got == wanted)
    forwarded = sum(1 for i in randomly if verdicts[i["id"]].forward)
    forwarded_right = sum(1 for i in randomly if verdicts[i["id"]].forward and i["scope"] == "out")
    bench(f"ticket_scope_accuracy{suffix}", 100 * scope / len(randomly), "%")
    bench(f"ticket_category_precision{suffix}", 100 * filed_right / max(1, len(filed)), "%")
    bench(f"ticket_auto_rate{suffix}", 100 * len(auto) / len(inside), "%")
    bench(f"dispatch_suggestion_accuracy{suffix}", 100 * dispatched / len(items), "%")
    dispatch_breakdown(items, where)
    named = [i for i in items if i["scope"] == "in" and code_of(verdicts[i["id"]], names) == truth[i["id"]]]
    print(f"  (of the {len(named)} in-scope tickets with the right category, the ownership rules give the "
          f"department the reader named for {sum(1 for i in named if where[i['id']][0] == i['department'])})")
    print(f"  ({len(randomly)} random real complaints: {len(filed)} filed without review, {filed_right} right; "
          f"{forwarded} forwarded without review, {forwarded_right} rightly out of scope; "
          f"{len(auto)} of {len(inside)} in-scope filed without review; of all {len(items)} labelled, "
          f"{len(everywhere)} filed without review, {everywhere_right} right; the versions' own thresholds "
          f"{sorted({round(v.file_above, 2) for v in verdicts.values()})})")
    curve = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):  # HOTLINE_REVIEW_BELOW's trade-off
        sure = [i for i in randomly if verdicts[i["id"]].in_scope and verdicts[i["id"]].confidence >= threshold]
        good = sum(1 for i in sure if code_of(verdicts[i["id"]], names) == truth[i["id"]])
        curve.append(f"{threshold}: {len(sure)} filed, {100 * good / max(1, len(sure)):.0f} % right")
    print("  (review threshold → " + "; ".join(curve) + ")")
    auto_rate_curve(items, truth, verdicts, names, suffix)


def auto_rate_curve(items: list[dict], truth: dict, verdicts: dict, names, suffix: str) -> None:
    """The trade-off the filing threshold makes, on all labelled complaints: the surest
    tickets predicted in scope filed until 20, 40, 60 % of the in-scope ones are, and the
    share of those filed whose category is right (out-of-scope ones filed count as wrong)."""
    inside = sum(1 for i in items if i["scope"] == "in")
    ranked = sorted((i for i in items if verdicts[i["id"]].in_scope), key=lambda i: -verdicts[i["id"]].confidence)
    for rate in (20, 40, 60):
        filed, reached = [], 0
        for i in ranked:
            if reached >= rate * inside / 100:
                break
            filed.append(i)
            reached += i["scope"] == "in"
        right = sum(1 for i in filed if code_of(verdicts[i["id"]], names) == truth[i["id"]])
        label = f"ticket_category_precision_at_auto_{rate}{suffix}"
        if reached < rate * inside / 100:
            print(f"  ({label}: only {100 * reached / inside:.0f} % of in-scope tickets are predicted in scope)")
        bench(label, 100 * right / max(1, len(filed)), "%")


def dispatch_breakdown(items: list[dict], where: dict) -> None:
    """Where the suggested destinations go wrong: in scope (a department) or out (a bureau),
    and how many wrong ones name the same body under its other code (住建局 as a bureau
    and as the department HZ-ZJJ)."""
    counts = {"in": [0, 0], "out": [0, 0]}
    same_body = 0
    for i in items:
        got, wanted = where[i["id"]]
        row = counts[i["scope"]]
        row[0] += 1
        row[1] += got == wanted
        same_body += got != wanted and {got, wanted} in SAME_BODY
    print(f"  (destination right: in scope {counts['in'][1]}/{counts['in'][0]}, out of scope "
          f"{counts['out'][1]}/{counts['out'][0]}; of the wrong ones {same_body} name the same body under "
          "its other code)")


# Bodies that are both a bureau to forward to and a department of the ownership register.
SAME_BODY = [{"bureau:ZJJ", "HZ-ZJJ"}, {"bureau:HBJ", "HZ-HBJ"}, {"bureau:GAJ", "HZ-JJDD"},
             {"bureau:GSGS", "LYG-SWJT"}, {"bureau:RQGS", "LYG-RQ"}, {"bureau:GDGS", "LYG-GD"},
             {"bureau:TXYY", "LYG-DX"}]


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
