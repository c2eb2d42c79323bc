"""The closed loop's transitions as the API and the map name them: the steps of
cases/steps.py taken through POST /api/v1/cases/{id}/{action}/ (link, unlink and
recategorize are taken by the 12345 intake, not there).
"""

from urbanmgmt.cases.steps import STEPS, Step
from urbanmgmt.org.roles import ADMIN

Transition = Step
TRANSITIONS: dict[str, Step] = {action: step for action, step in STEPS.items() if step.endpoint}


def allowed_roles(transition: Step) -> tuple[str, ...]:
    """Administrators may act in every role."""
    return transition.roles + (ADMIN,)
