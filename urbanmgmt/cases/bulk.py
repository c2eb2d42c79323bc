"""The two ways a replay takes its steps (kpi/simulate.py): `Ledger` (cases/ledger.py: the
steps of cases/steps.py on cases in memory, written in batches) and `ServicePath` (one call
of services.py per step, one transaction each, the reference the ledger is compared with in
tests/kpi/test_simulate.py).
"""

from urbanmgmt.cases import services
from urbanmgmt.cases.ledger import Ledger
from urbanmgmt.cases.models import Case, InspectionTask

__all__ = ["Ledger", "ServicePath"]


class ServicePath:
    """The same calls as a Ledger, each made through services.py at the clock's time."""

    def __getattr__(self, name):
        return getattr(services, name)

    def open_task(self, case: Case) -> InspectionTask:
        return InspectionTask.objects.filter(case_id=case.pk, done_at__isnull=True).latest("id")

    def flush(self) -> None:
        pass
