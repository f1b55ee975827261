from django.apps import AppConfig
from django.db.models.signals import pre_migrate


class RlsConfig(AppConfig):
    name = "rls"
    verbose_name = "Row-Level Security"

    def ready(self) -> None:
        # Importing registers the system checks; the module imports models, hence here (app registry).
        from rls import checks

        pre_migrate.connect(checks.refuse_migrate_as_non_owner, dispatch_uid="rls.refuse_migrate_as_non_owner")
