"""How much of a request body the portal reads: a file past the largest the portal takes is
refused before the rest of the body is read.

Django reads a multipart body whole before any view runs (the CSRF check reads the form), writing
its files to memory or a temporary file: without a limit, any POST could fill the disk before a
view said "too large". `LimitedUploadHandler` comes first in FILE_UPLOAD_HANDLERS and stops the
parse (StopUpload) when the declared body is larger than the largest file plus the form around
it, at the first file part (the fields before it, the CSRF token among them, are kept), or when a
file's data runs past the limit. The request is marked `upload_refused`, so a view says why;
the form fields after the file are lost with it. Non-file bodies are capped by Django's own
DATA_UPLOAD_MAX_MEMORY_SIZE, and the proxy in front refuses anything larger (README, Production).
"""

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.urls import Resolver404, resolve
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A form's own fields and the multipart headers around its file: never near this.
FORM_OVERHEAD = 64 * 1024
LIMIT_ATTRIBUTE = "upload_max_bytes_setting"


def upload_limit(setting_name: str):
    """A view that takes files larger (or smaller) than UPLOAD_MAX_BYTES: the setting that
    holds its limit, e.g. @upload_limit("APPLICATION_DOCUMENT_MAX_BYTES") for plans."""

    def decorate(view):
        setattr(view, LIMIT_ATTRIBUTE, setting_name)
        return view

    return decorate


def view_upload_limit(view) -> int:
    """The largest file a view takes: its `upload_limit` setting, or UPLOAD_MAX_BYTES."""
    setting_name = getattr(view, LIMIT_ATTRIBUTE, None)
    return getattr(settings, setting_name) if setting_name else settings.UPLOAD_MAX_BYTES


def path_upload_limit(path: str) -> int:
    """The largest file the view at `path` takes: what a page says of the form posting there."""
    try:
        view = resolve(path).func
    except Resolver404:
        view = None
    return view_upload_limit(view)


def upload_max_bytes(request=None) -> int:
    """The limit of the view the request is for (its `upload_limit`), or UPLOAD_MAX_BYTES."""
    if request is None:
        return settings.UPLOAD_MAX_BYTES
    return path_upload_limit(request.path_info)


def localized_number(text: str) -> str:
    """A number written by Python ("1,234.5") with the active language's separators
    ("1 234,5" in French)."""
    return (
        text.replace(",", "\0")
        .replace(".", get_format("DECIMAL_SEPARATOR"))
        .replace("\0", get_format("THOUSAND_SEPARATOR"))
    )


def megabytes(size: int) -> str:
    """A size in words as the limits are set (decimal megabytes): "25 MB", "2.5 MB"; under a
    megabyte in kilobytes ("500 kB"), never "0 MB". In the active language's words and
    digits."""
    if size < 1_000_000:
        number = localized_number(f"{round(size / 1_000, 1):,}".removesuffix(".0"))
        return _("%(size)s kB") % {"size": number}
    number = localized_number(f"{round(size / 1_000_000, 1):,}".removesuffix(".0"))
    return _("%(size)s MB") % {"size": number}


def upload_refused_message(request) -> str:
    """What a view says when LimitedUploadHandler stopped reading its file."""
    return _("That file is larger than the limit of %(limit)s: nothing was uploaded.") % {
        "limit": megabytes(upload_max_bytes(request))
    }


class LimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        self.limit = upload_max_bytes(self.request)
        self.declared_too_large = content_length > self.limit + FORM_OVERHEAD
        if self.request is not None:
            self.request.upload_refused = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.declared_too_large:
            self.refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refuse()
        return raw_data  # the handlers after this one keep the file

    def file_complete(self, file_size: int) -> None:
        return None

    def refuse(self) -> None:
        if self.request is not None:
            self.request.upload_refused = True
        # Not read on: behind the proxy (which has the whole body) or gunicorn (which discards
        # what a request left unread) the reply still goes out.
        raise StopUpload(connection_reset=True)


# A document's checks, for every app that keeps one --------------------------------------------

# What a file starts with decides its type: its name and the browser's word count for nothing.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
ANY_DOCUMENT = frozenset(content_type for _signature, content_type in SIGNATURES)


def sniff_content_type(upload) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def upload_checked(
    upload,
    *,
    limit: int,
    error: type[Exception],
    accepted: frozenset[str] | set[str] = ANY_DOCUMENT,
    formats: str = gettext_lazy("PDF, PNG or JPEG"),
) -> tuple[str, str]:
    """Refuse (raise `error`, with words for the person) a file over `limit` bytes, an empty
    one, or one whose first bytes are none of `accepted` (named `formats`). Its name as kept (no
    path, at most 200 characters) and its content type."""
    if upload.size > limit:
        size = _("%(size)s MB") % {"size": localized_number(f"{upload.size / 1_000_000:.1f}")}
        raise error(
            _("That file is %(size)s; the limit is %(limit)s.")
            % {"size": size, "limit": megabytes(limit)}
        )
    if upload.size == 0:
        raise error(_("That file is empty."))
    content_type = sniff_content_type(upload)
    if content_type not in accepted:
        raise error(_("Upload a %(formats)s file (this one is not).") % {"formats": formats})
    return PurePath(upload.name or "document").name[:200] or "document", content_type


def document_save(document, upload, name: str) -> None:
    """Store the file, then the row; if the row cannot be saved, the stored file goes too."""
    document.file.save(name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
