"""What an evaluation scheme's configuration (models.EvaluationScheme.config) may say: for
each kind of subject, weights of known indicators adding up to 100, and grade thresholds.

Apart from evaluation.py so that the model can check a configuration without importing the
evaluation, which reads the model.
"""

from django.utils.translation import gettext as _

from urbanmgmt.kpi.indicators import INDICATORS

WHO = ("inspector", "dispatcher", "department", "area")
VOLUME = "volume"  # a department's cases due, against the busiest department's


def config_problems(config: dict) -> list[str]:
    """What is wrong with a scheme's configuration (empty when nothing)."""
    problems = []
    for who in WHO:
        weights = config.get(who, {})
        for key in weights:
            if key != VOLUME and (key not in INDICATORS or INDICATORS[key].who != who):
                problems.append(_("%(who)s: unknown indicator %(key)s") % {"who": who, "key": key})
        if weights and abs(sum(weights.values()) - 100) > 1e-6:
            problems.append(_("%(who)s: the weights add up to %(total)s, not 100") % {"who": who,
                                                                                       "total": sum(weights.values())})
    grades = config.get("grades", {})
    if [grades.get(g) for g in "ABCD"] != sorted([grades.get(g, 0) for g in "ABCD"], reverse=True):
        problems.append(_("grades: thresholds A > B > C > D are required"))
    return problems
