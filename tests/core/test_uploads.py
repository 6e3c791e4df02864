"""core.uploads: a multipart body is not read past the largest file the portal takes (issue 12,
finding 9)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

LIMIT = 100_000


class CountingStream:
    def __init__(self, stream) -> None:
        self.stream = stream
        self.read_bytes = 0

    def read(self, *args):
        data = self.stream.read(*args)
        self.read_bytes += len(data)
        return data

    def readline(self, *args):
        data = self.stream.readline(*args)
        self.read_bytes += len(data)
        return data


def posted(size: int) -> tuple:
    request = RequestFactory().post(
        "/upload/",
        {"csrfmiddlewaretoken": "token", "file": SimpleUploadedFile("big.pdf", b"0" * size)},
    )
    counter = CountingStream(request._stream)
    request._stream = counter
    return request, counter


@pytest.fixture(autouse=True)
def limit(settings):
    settings.UPLOAD_MAX_BYTES = LIMIT


def test_a_body_declared_past_the_limit_is_not_read_on():
    request, counter = posted(5_000_000)
    assert "file" not in request.FILES
    assert request.upload_refused is True
    # The fields before the file (the CSRF token among them) were read; the file was not.
    assert request.POST["csrfmiddlewaretoken"] == "token"
    assert counter.read_bytes < LIMIT


def test_a_file_past_the_limit_inside_the_allowance_is_stopped_at_the_limit():
    request, counter = posted(LIMIT + 60_000)  # the body is within limit + form overhead
    assert "file" not in request.FILES
    assert request.upload_refused is True
    assert counter.read_bytes < LIMIT + 60_000


def test_a_file_within_the_limit_is_read_whole():
    request, _ = posted(LIMIT - 1_000)
    assert request.FILES["file"].size == LIMIT - 1_000
    assert request.upload_refused is False


def test_control_without_the_handler_the_whole_body_is_read(settings):
    settings.FILE_UPLOAD_HANDLERS = [
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    request, counter = posted(5_000_000)
    assert request.FILES["file"].size == 5_000_000
    assert counter.read_bytes > 5_000_000


def test_a_body_that_is_not_a_form_is_capped_by_django(settings):
    from django.core.exceptions import RequestDataTooBig

    request = RequestFactory().post(
        "/hook/", data=io.BytesIO(b"x" * 3_000_000).read(), content_type="application/json"
    )
    with pytest.raises(RequestDataTooBig):
        request.body  # noqa: B018
