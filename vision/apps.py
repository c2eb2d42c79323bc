from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisionConfig(AppConfig):
    name = "vision"
    verbose_name = _("Video detection")

    def ready(self):
        from urbanmgmt.cases.access import register_media_resolver
        from vision.access import candidate_media_resolver

        register_media_resolver(candidate_media_resolver)
