from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
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


bench = [
    path("bare/", bare),
    path("floor/", floor),
    path("checks/<str:suite_id>/", checks),
    path("read/", bare_read),
]
# Every target resolved as the callback is: one include, found at the first or second pattern.
# After the portal's routes, a bench view tried every portal pattern first (three times the
# resolver calls of a callback); before the callbacks, each bench view was one more failed match
# per callback. Both are costs production does not have.
callbacks = next(pattern for pattern in portal if str(pattern.pattern) == "callbacks/")
urlpatterns = [
    callbacks,
    path("bench/", include(bench)),
    *(pattern for pattern in portal if pattern is not callbacks),
]
