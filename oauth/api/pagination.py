"""A page of rows and their total in one query."""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from rest_framework.pagination import PageNumberPagination

TOTAL = "_page_total"
# The largest OFFSET and LIMIT databases take (a signed 64-bit integer): a page beyond it is
# past the end of any list, and asking the database for it is an error, not an empty page.
LARGEST_OFFSET = 2**63 - 1


class CountedPagePaginator(Paginator):
    """Reads the page's rows with ``COUNT(*) OVER ()``, the number of rows of the whole list,
    instead of a COUNT query before them. Only an empty page (past the end, or an empty list)
    asks for the count on its own, to tell which of the two it is; so does a page too far for
    the database to seek to.

    ``object_list`` is an ordered ``values()`` queryset.
    """

    def page(self, number: Any) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 0  # not a page: validate_number says why
        rows: list[dict[str, Any]] = []
        bottom = (wanted - 1) * self.per_page
        if wanted >= 1 and bottom + self.per_page <= LARGEST_OFFSET:
            rows_of = cast(QuerySet[Any, dict[str, Any]], self.object_list)
            counted = rows_of.annotate(**{TOTAL: Window(Count("*"))})
            rows = list(counted[bottom : bottom + self.per_page])
        if rows:
            self.count = rows[0][TOTAL]
            for row in rows:
                del row[TOTAL]
        return Page(rows, self.validate_number(number), self)


class CountedPagePagination(PageNumberPagination):
    django_paginator_class = CountedPagePaginator
