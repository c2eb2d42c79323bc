"""Scores, grades and rankings of inspectors, dispatchers, departments and areas from the
indicators (indicators.py) under a versioned scheme (models.EvaluationScheme)."""

import datetime as dt

from django.utils.translation import gettext as _

from urbanmgmt.kpi import daily
from urbanmgmt.kpi.indicators import INDICATORS, Counts
from urbanmgmt.kpi.models import EvaluationScheme
from urbanmgmt.kpi.schemes import VOLUME
from urbanmgmt.org.names import area_names, department_names, person_names
from urbanmgmt.supervision.indicators import by_department


def indicator_counts(key: str, start: dt.datetime, end: dt.datetime) -> Counts:
    """An indicator's {subject: (numerator, denominator)} over [start, end), from the stored
    days where it can (kpi/daily.py), or computed afresh for an indicator that is never stored."""
    if not INDICATORS[key].stored:
        return INDICATORS[key].compute(start, end)
    return daily.figures(f"indicator:{key}", INDICATORS[key].compute, start, end, 2)


def scheme_for(day: dt.date) -> EvaluationScheme:
    scheme = EvaluationScheme.objects.filter(valid_from__lte=day).first()
    if scheme is None:
        raise EvaluationScheme.DoesNotExist(f"no evaluation scheme valid on {day}")
    return scheme


def grade(score: float, grades: dict) -> str:
    for letter in "ABCD":
        if score >= grades[letter]:
            return letter
    return "E"


def subject_names(who: str, subjects: list[str]) -> dict[str, str]:
    """What the subjects of an evaluation are called: people's names, departments' and streets' names."""
    if who in ("inspector", "dispatcher"):
        return person_names(subjects)
    if who == "department":
        return department_names(subjects)
    return area_names(subjects, "street")


def evaluate(who: str, start: dt.datetime, end: dt.datetime, scheme: EvaluationScheme | None = None) -> dict:
    """Every subject's indicator values, score (0–100), grade and rank for [start, end).

    An indicator with nothing to count for a subject (no denominator) is left out and the
    other weights are scaled up, so no one is scored on what they had no chance to do.
    """
    scheme = scheme or scheme_for(start.date())
    configured = scheme.config.get(who, {})
    # In the registry's order (PostgreSQL's jsonb does not keep the keys' order).
    weights = {key: configured[key] for key in (VOLUME, *INDICATORS) if key in configured}
    counts = {key: indicator_counts(key, start, end) for key in weights if key != VOLUME}
    if VOLUME in weights:
        base = counts.get("closure_rate") or indicator_counts("closure_rate", start, end)
        busiest = max((d for _, d in base.values()), default=0)
        counts[VOLUME] = {s: (d, busiest) for s, (_, d) in base.items()}
    subjects = sorted({s for per in counts.values() for s in per})
    rows = []
    for subject in subjects:
        values, earned, possible = {}, 0.0, 0.0
        for key, weight in weights.items():
            n, d = counts[key].get(subject, (0, 0))
            value = n / d if d else None
            values[key] = {"n": n, "d": d, "value": round(value, 4) if value is not None else None}
            if value is None:
                continue
            good = value if key == VOLUME or INDICATORS[key].higher_is_better else 1 - value
            earned += weight * good
            possible += weight
        score = round(100 * earned / possible, 1) if possible else None
        rows.append({"subject": subject, "values": values, "score": score,
                     "grade": grade(score, scheme.config["grades"]) if score is not None else None})
    names = subject_names(who, subjects)
    for row in rows:
        row["name"] = names.get(row["subject"], row["subject"])
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: -r["score"])
    for rank, row in enumerate(ranked, 1):
        row["rank"] = rank
    return {
        "scheme": scheme.version, "who": who,
        "indicators": [{"key": key, "weight": weight,
                        "name": _("Case volume") if key == VOLUME else str(INDICATORS[key].name),
                        "formula": _("due to be closed ÷ the busiest department's due to be closed") if key == VOLUME
                        else str(INDICATORS[key].formula)}
                       for key, weight in weights.items()],
        "rows": ranked + [r for r in rows if r["score"] is None],
    }


def supervision_indicators(start: dt.datetime, end: dt.datetime) -> dict[str, dict]:
    """Each department's supervision (督办) over [start, end): notices given, listed,
    escalated, answered on time, and the on-time answer rate (supervision/indicators.py)."""
    return by_department(start, end)
