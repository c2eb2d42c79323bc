"""The addresses that HTML forms post to, opened with GET: typed, bookmarked, reloaded after
signing in. Each is sent on to the page where its form is, never answered 405."""

from functools import wraps

from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse


def posted_here(page: str, *keys: str, fragment: str = ""):
    """A form's action: POST does the work; a GET (the address typed, bookmarked or reloaded)
    is sent on to `page` (a URL name, given the view's arguments named in `keys`, then
    `fragment`, whose {names} are filled in from the view's arguments), where that form is;
    any other method is refused."""
    def decorate(view):
        @wraps(view)
        def answer(request, *args, **kwargs):
            if request.method in ("GET", "HEAD"):
                return redirect(reverse(page, kwargs={key: kwargs[key] for key in keys}) + fragment.format(**kwargs))
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)
        return answer
    return decorate
