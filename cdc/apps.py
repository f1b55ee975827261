from django.apps import AppConfig


class CdcConfig(AppConfig):
    name = "cdc"
    verbose_name = "Change data capture"

    def ready(self) -> None:
        from cdc import checks  # noqa: F401  (registers the system checks)
