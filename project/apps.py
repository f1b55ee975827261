from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

from project.staff import apply_after_migrate


class ProjectConfig(AppConfig):
    name = "project"
    verbose_name = "Project wiring"

    def ready(self) -> None:
        # post_migrate is sent per app with models (this one has none): once, via tenancy,
        # after every app's migrations of the run.
        post_migrate.connect(apply_after_migrate, sender=apps.get_app_config("tenancy"),
                             dispatch_uid="project.staff_grants")
