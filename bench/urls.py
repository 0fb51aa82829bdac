from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from isvportal.urls import urlpatterns as portal


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The baseline of bench/callbacks.py: Django, one INSERT of the body, 'success'."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [request.body.decode()])
    return HttpResponse("success", content_type="text/plain")


def bare_read(request: HttpRequest) -> HttpResponse:
    """The baseline of bench/api.py: Django, one SELECT of a row, 'success'."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, body FROM bench_bare ORDER BY id LIMIT 1")
        cursor.fetchall()
    return HttpResponse("success", content_type="text/plain")


urlpatterns = [*portal, path("bench/bare/", bare), path("bench/read/", bare_read)]
