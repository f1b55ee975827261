from django.apps import AppConfig


class RlsConfig(AppConfig):
    name = "rls"
    verbose_name = "Row-Level Security"

    def ready(self) -> None:
        from rls import checks  # noqa: F401  (registers the system checks)
