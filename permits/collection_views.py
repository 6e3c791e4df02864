"""Collections, as Accela's: private named groups of permits.

Every collection a URL names is looked up among the user's own: anyone else's is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from core.pagination import paginate
from core.params import parse_id
from policy.collections import can_use_collection

from .exceptions import PermitError
from .forms import CollectionChoiceForm, CollectionNameForm
from .models import Collection
from .scopes import prefetch_for_rules
from .selectors import (
    PermitSearch,
    attach_professionals,
    collection_fees_due,
    collection_permit_ids,
    collection_permits,
    collections_of,
    permit_csv_rows,
)
from .services import (
    collection_add_permits,
    collection_create,
    collection_delete,
    collection_move_permits,
    collection_remove_permits,
    collection_rename,
)
from .views import csv_response

NAME_REFUSED = gettext_noop("Give the collection a name of at most 80 characters.")


def added_message(added: int, skipped: int, name: str) -> str:
    """ "2 permits added to “Smith job” (1 already in it)." """
    values = {"count": added, "skipped": skipped, "name": name}
    if skipped:
        return (
            ngettext(
                "%(count)s permit added to “%(name)s” (%(skipped)s already in it).",
                "%(count)s permits added to “%(name)s” (%(skipped)s already in it).",
                added,
            )
            % values
        )
    return (
        ngettext(
            "%(count)s permit added to “%(name)s”.", "%(count)s permits added to “%(name)s”.", added
        )
        % values
    )


def selected_permit_ids(request: HttpRequest) -> list[int]:
    ids = (parse_id(raw) for raw in request.POST.getlist("permit"))
    return [permit_id for permit_id in ids if permit_id is not None]


def safe_back(request: HttpRequest, fallback: str) -> str:
    back = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return back
    return fallback


def own_collection(request: HttpRequest, collection_id: int) -> Collection:
    collection = get_object_or_404(Collection, pk=collection_id)
    if not can_use_collection(request.user, collection):
        raise Http404("No collection of yours.")
    return collection


@login_required
@require_GET
def collections_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "permits/collections.html",
        {"collections": collections_of(user=request.user), "form": CollectionNameForm()},
    )


@login_required
@require_POST
def collection_create_view(request: HttpRequest) -> HttpResponse:
    form = CollectionNameForm(request.POST)
    if form.is_valid():
        try:
            collection = collection_create(owner=request.user, name=form.cleaned_data["name"])
        except PermitError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Collection “%(name)s” was created.") % {"name": collection.name}
            )
    else:
        messages.error(request, _(NAME_REFUSED))
    return redirect("permits:collections")


@login_required
@require_POST
def collection_add_view(request: HttpRequest) -> HttpResponse:
    """ "Add to Collection" from search results or My Records: first the choice of collection,
    then, with "Add", the permits go in."""
    ids = selected_permit_ids(request)
    back = safe_back(request, reverse("permits:my_records"))
    if not ids:
        messages.warning(request, _("Select at least one permit to add to a collection."))
        return redirect(back)
    form = CollectionChoiceForm(request.POST if "add" in request.POST else None, owner=request.user)
    if form.is_bound and form.is_valid():
        try:
            collection = form.cleaned_data["collection"] or collection_create(
                owner=request.user, name=form.cleaned_data["new_name"]
            )
            added = collection_add_permits(collection=collection, permit_ids=ids, by=request.user)
        except PermitError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, added_message(added, len(ids) - added, collection.name))
            return redirect("permits:collection", collection_id=collection.pk)
    return render(
        request,
        "permits/collection_add.html",
        {"form": form, "permit_ids": ids, "next": back, "count": len(ids)},
    )


@login_required
@require_GET
def collection_view(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = own_collection(request, collection_id)
    page = paginate(
        request, collection_permits(collection=collection), settings.MY_RECORDS_PAGE_SIZE
    )
    prefetch_for_rules(request.user, page.object_list)
    attach_professionals(page.object_list)
    others = collections_of(user=request.user).exclude(pk=collection.pk)
    fees_due = collection_fees_due(collection=collection)
    return render(
        request,
        "permits/collection.html",
        {
            "collection": collection,
            "page": page,
            "others": others,
            "fees_due": fees_due,
            "rename_form": CollectionNameForm(initial={"name": collection.name}),
        },
    )


@login_required
@require_POST
def collection_items_view(request: HttpRequest, collection_id: int) -> HttpResponse:
    """ "Remove", "Move to..." and "Copy to..." on the selected permits."""
    collection = own_collection(request, collection_id)
    ids = selected_permit_ids(request)
    action = request.POST.get("action")
    if not ids:
        messages.warning(request, _("Select at least one permit first."))
        return redirect("permits:collection", collection_id=collection.pk)
    try:
        if action == "remove":
            count = collection_remove_permits(
                collection=collection, permit_ids=ids, by=request.user
            )
            messages.success(
                request,
                ngettext("%(count)s permit removed.", "%(count)s permits removed.", count)
                % {"count": count},
            )
        elif action in ("move", "copy"):
            try:
                target = own_collection(request, parse_id(request.POST.get("target")) or 0)
            except Http404:
                raise PermitError(
                    _("Choose one of your own collections to move or copy to.")
                ) from None
            count = collection_move_permits(
                source=collection,
                target=target,
                permit_ids=ids,
                by=request.user,
                keep=action == "copy",
            )
            if action == "copy":
                done = ngettext(
                    "%(count)s permit copied to “%(name)s”.",
                    "%(count)s permits copied to “%(name)s”.",
                    count,
                )
            else:
                done = ngettext(
                    "%(count)s permit moved to “%(name)s”.",
                    "%(count)s permits moved to “%(name)s”.",
                    count,
                )
            messages.success(request, done % {"count": count, "name": target.name})
        else:
            raise PermitError(_("Choose Remove, Move to... or Copy to..."))
    except PermitError as error:
        messages.error(request, str(error))
    return redirect("permits:collection", collection_id=collection.pk)


@login_required
@require_POST
def collection_rename_view(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = own_collection(request, collection_id)
    form = CollectionNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _(NAME_REFUSED))
    else:
        try:
            collection_rename(
                collection=collection, name=form.cleaned_data["name"], by=request.user
            )
        except PermitError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("The collection is now named “%(name)s”.") % {"name": collection.name}
            )
    return redirect("permits:collection", collection_id=collection.pk)


@login_required
@require_POST
def collection_delete_view(request: HttpRequest, collection_id: int) -> HttpResponse:
    collection = own_collection(request, collection_id)
    name = collection.name
    collection_delete(collection=collection, by=request.user)
    messages.success(
        request,
        _("Collection “%(name)s” was deleted. Its permits are not affected.") % {"name": name},
    )
    return redirect("permits:collections")


@login_required
@require_GET
def collection_csv_view(request: HttpRequest, collection_id: int) -> HttpResponse:
    """A collection's permits as CSV (the search's columns)."""
    collection = own_collection(request, collection_id)
    search = PermitSearch(within=collection_permit_ids(collection=collection))
    return csv_response(permit_csv_rows(search=search), f"collection-{collection.pk}")
