"""Request guards that run before any view."""

from django.http import Http404


class RejectNulInPathMiddleware:
    """A path with a NUL character names nothing here, and PostgreSQL refuses such a string in
    a query (a 500 wherever a view looks it up): answer it "not found" before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in request.path_info:
            raise Http404("No such page.")
        return self.get_response(request)
