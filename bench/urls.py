from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from isvportal.urls import urlpatterns as portal


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The baseline: Django, one INSERT of the body, 'success'. No verification at all."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [request.body.decode()])
    return HttpResponse("success", content_type="text/plain")


urlpatterns = [*portal, path("bench/bare/", bare)]
