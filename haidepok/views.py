from django.apps import apps
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """200 when the database answers a query, 503 when it does not (for the load balancer)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def bench_baseline(request):
    """The benchmark's ceiling: one indexed query and a tiny template (HAIDEPOK_BENCHMARK_BASELINE
    only; see bench/run.py)."""
    # Named, not imported: the project package imports no domain app (settings and urls name
    # them the same way). The query is the ORM's, as on the pages the baseline is compared to.
    facility_model = apps.get_model("facilities", "Facility")
    facility = (
        facility_model.objects.filter(slug=request.GET.get("slug", "")).values("name").first()
    )
    return render(request, "bench/baseline.html", {"facility": facility})


class BenchQueryCountMiddleware:
    """Counts the database queries of each request into an X-Bench-Queries header (benchmark
    only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response
