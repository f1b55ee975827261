"""A health check and a per-tenant summary (sync and async), served as the app role."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse

from models_app.models import DOMAIN_MODELS
from tenancy.models import Tenant


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _summary() -> dict[str, object]:
    tenant = Tenant.objects.get()
    counts = {model._meta.model_name: model.objects.count() for model in DOMAIN_MODELS}
    return {"tenant": tenant.slug, "counts": counts}


def summary(request: HttpRequest) -> JsonResponse:
    """Row counts of the request's tenant (the middleware set the context)."""
    return JsonResponse(_summary())


async def async_summary(request: HttpRequest) -> JsonResponse:
    return JsonResponse(await sync_to_async(_summary)())
