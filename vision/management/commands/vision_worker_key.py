from django.core.management.base import BaseCommand

from vision.models import Camera, WorkerKey


class Command(BaseCommand):
    help = "Create a video worker's key (or a fresh key for an existing worker) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--camera", action="append", default=[], help="limit the worker to these camera codes")

    def handle(self, name, camera, **options):
        worker = WorkerKey.objects.filter(name=name).first() or WorkerKey(name=name)
        key = worker.new_key()
        worker.save()
        if camera:
            worker.cameras.set(Camera.objects.filter(code__in=camera))
        self.stdout.write(key)
