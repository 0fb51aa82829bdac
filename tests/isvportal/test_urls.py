"""The portal's routing order."""

from django.urls import URLResolver, get_resolver


def test_the_callbacks_are_the_first_pattern_tried():
    """Callbacks are most of the portal's requests: no other pattern is matched before theirs."""
    first = get_resolver("isvportal.urls").url_patterns[0]
    assert isinstance(first, URLResolver)
    assert str(first.pattern) == "callbacks/"
    assert first.namespace == "callbacks"
