from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisionConfig(AppConfig):
    name = "vision"
    verbose_name = _("Video detection")

    def ready(self):
        from urbanmgmt.cases.access import register_media_resolver
        from urbanmgmt.numbers import register_finder
        from urbanmgmt.storage.sweep import register_media_owner
        from vision.access import candidate_media_resolver
        from vision.find import find_candidates
        from vision.media import candidate_media_names

        register_media_resolver(candidate_media_resolver)
        register_media_owner(candidate_media_names)
        register_finder("candidates", find_candidates)
