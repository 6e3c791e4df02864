"""Nothing typed is lost to a session that ended: a page whose form keeps drafts (an online
application's steps) takes a POST that arrives signed out, keeps what was typed in the new
session, and sends the person to sign in; back on the page after signing in, what they typed
is given to the view again (`request.kept_post`), to save and show.

A session can end under a form in two ways: idle past its limit (accounts.middleware signs it
out on that POST and lets the POST through, signed out, to the view when the view keeps drafts)
or gone altogether (the browser closed, the session expired). The POST has passed the CSRF
check either way (the token lives in its cookie, not in the session). Files are not kept: a
file must be chosen again.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

KEPT_SESSION_KEY = "portal_kept_post"
KEEPS_TYPED_ATTRIBUTE = "keeps_typed"


def view_keeps_typed(path: str) -> bool:
    try:
        return getattr(resolve(path).func, KEEPS_TYPED_ATTRIBUTE, False)
    except Resolver404:
        return False


def keeps_typed(view):
    """Outermost decorator of a view whose form keeps what was typed through a sign-in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and not request.user.is_authenticated:
            request.session[KEPT_SESSION_KEY] = {
                "path": request.path,
                "data": {
                    name: request.POST.getlist(name)
                    for name in request.POST
                    if name != "csrfmiddlewaretoken"
                },
            }
            messages.info(
                request,
                _(
                    "You were signed out. What you typed is kept: sign in again and it is saved "
                    "where you left off."
                ),
            )
            return redirect_to_login(request.path)
        if request.user.is_authenticated and request.method == "GET":
            kept = request.session.get(KEPT_SESSION_KEY)
            if kept and kept.get("path") == request.path:
                del request.session[KEPT_SESSION_KEY]
                data = QueryDict(mutable=True)
                for name, values in kept.get("data", {}).items():
                    data.setlist(name, [str(value) for value in values])
                request.kept_post = data
        return view(request, *args, **kwargs)

    setattr(wrapper, KEEPS_TYPED_ATTRIBUTE, True)
    return wrapper
