from django.apps import AppConfig


class LakehouseConfig(AppConfig):
    name = "lakehouse"
    verbose_name = "Lakehouse"
