from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_rq.apps import DjangoRqAdminConfig
from django_tasks_db.apps import TasksAppConfig


class JobsConfig(AppConfig):
    default = True  # the app's own, of the three here
    name = "urbanmgmt.jobs"
    verbose_name = _("Background work")


class TaskResultsConfig(TasksAppConfig):
    """django-tasks' database backend under a name the admin can show in the user's language
    (its own is a plain English string; its model's names are in our catalogue)."""

    verbose_name = _("Task results")


class TaskQueuesConfig(DjangoRqAdminConfig):
    """django-rq's queue dashboard under names the admin can show in the user's language: the
    app's and its dashboard's own are plain English strings."""

    verbose_name = _("Task queues")

    def ready(self) -> None:
        super().ready()
        from django_rq.models import Dashboard

        Dashboard._meta.verbose_name = Dashboard._meta.verbose_name_plural = _("Queue dashboard")
