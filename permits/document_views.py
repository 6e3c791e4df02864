"""A permit's documents: uploaded by whoever holds Upload Files at its contractor, downloaded by
its parties; and how every app hands a stored document back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.uploads import upload_refused_message
from policy.permits import can_upload, can_view_private

from .checks import issuance_needs
from .exceptions import PermitError
from .forms import DocumentUploadForm
from .models import PermitDocument
from .services import (
    permit_document_upload,
)
from .views import permit_url, permit_with_access, refuse_inactive_license

# Documents ------------------------------------------------------------------------------------


@login_required
@require_POST
@refuse_inactive_license
def document_upload_view(request: HttpRequest, number: str) -> HttpResponse:
    permit = permit_with_access(request, number, can_upload)
    form = DocumentUploadForm(request.POST, request.FILES, kinds=needed_kinds(permit))
    if getattr(request, "upload_refused", False):
        # core.uploads stopped reading the body past the limit: the file never arrived.
        messages.error(request, upload_refused_message(request))
        return redirect(permit_url(permit, "documents"))
    if not form.is_valid():
        for error in (
            form.errors.get("kind") or form.errors.get("file") or [_("Choose a file to upload.")]
        ):
            messages.error(request, error)
        return redirect(permit_url(permit, "documents"))
    kind = form.cleaned_data["kind"]
    try:
        document = permit_document_upload(
            permit=permit, upload=form.cleaned_data["file"], by=request.user, kind=kind
        )
    except PermitError as error:
        messages.error(request, str(error))
    else:
        permit.refresh_from_db(fields=["status"])
        if not kind:
            uploaded = _("%(name)s was uploaded.")
        elif permit.is_issued:
            uploaded = _("%(name)s was uploaded as the %(document)s. The permit is issued.")
        else:
            uploaded = _("%(name)s was uploaded as the %(document)s.")
        messages.success(request, uploaded % {"name": document.original_name, "document": kind})
    return redirect(permit_url(permit, "documents"))


def needed_kinds(permit) -> list[str]:
    """The documents the permit still needs before issuance (permits.checks), by name."""
    return [item.kind for item in issuance_needs([permit]).get(permit.pk, []) if item.is_document]


@login_required
@require_GET
def document_download_view(request: HttpRequest, number: str, document_id: int) -> FileResponse:
    permit = permit_with_access(request, number, can_view_private)
    document = get_object_or_404(PermitDocument, pk=document_id, permit=permit)
    return document_file_response(document)


def document_file_response(document: PermitDocument) -> FileResponse:
    """The file, as an attachment named with its detected type's extension, never cached. For
    the portal's download (the policy asked) and the admin's (the permission checked)."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("That file is no longer on the server.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
