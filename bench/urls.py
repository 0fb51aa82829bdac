from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from callbacks.receive import command_url, open_post, query_params, read_body
from isvportal.urls import urlpatterns as portal


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The baseline of bench/callbacks.py: Django, one INSERT of the body, 'success'."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [request.body.decode()])
    return HttpResponse("success", content_type="text/plain")


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    """The floor of bench/callbacks.py's breakdown: gunicorn, Django and its middleware."""
    return HttpResponse("success", content_type="text/plain")


@csrf_exempt
def checks(request: HttpRequest, suite_id: str) -> HttpResponse:
    """The command callback's checks without its store, for bench/callbacks.py's breakdown:
    signature, decryption, receiveid and event parse, then 'success'."""
    open_post(command_url(suite_id), query_params(request), read_body(request))
    return HttpResponse("success", content_type="text/plain")


def bare_read(request: HttpRequest) -> HttpResponse:
    """The baseline of bench/api.py: Django, one SELECT of a row, 'success'."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, body FROM bench_bare ORDER BY id LIMIT 1")
        cursor.fetchall()
    return HttpResponse("success", content_type="text/plain")


# The bench's views first: after the portal's routes, resolving one of them tried every portal
# pattern before it (three times the resolver calls of a callback), a cost the baselines would
# pay and the callback not.
urlpatterns = [
    path("bench/bare/", bare),
    path("bench/floor/", floor),
    path("bench/checks/<str:suite_id>/", checks),
    path("bench/read/", bare_read),
    *portal,
]
