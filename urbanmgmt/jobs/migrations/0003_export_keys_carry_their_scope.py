"""Export jobs asked before their keys carried their maker's scope (urbanmgmt/storage/exports.py:
who exports what) were hidden from their makers, files included. They get the key the rule
gives their maker now, so that the one rule decides again: a handler or the command centre
follows and downloads theirs; someone who may not export still does not."""

from django.conf import settings
from django.db import migrations

from urbanmgmt.org.roles import ADMIN
from urbanmgmt.storage.exports import KEY_PREFIX, legacy_key


def scope_legacy_keys(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Profile = apps.get_model("org", "Profile")
    jobs = [job for job in Job.objects.filter(key__startswith=KEY_PREFIX).only("pk", "key", "started_by_id")
            if legacy_key(job.key, (), None) is not None]
    makers = User.objects.filter(pk__in={job.started_by_id for job in jobs}).prefetch_related("groups")
    roles = {user.pk: {group.name for group in user.groups.all()} | ({ADMIN} if user.is_superuser else set())
             for user in makers}
    departments = dict(Profile.objects.filter(user_id__in=roles).values_list("user_id", "department_id"))
    for job in jobs:
        job.key = legacy_key(job.key, roles.get(job.started_by_id, ()), departments.get(job.started_by_id))
    Job.objects.bulk_update(jobs, ["key"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0002_labels_in_one_language"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(scope_legacy_keys, migrations.RunPython.noop, elidable=True)]
