"""Documents go through Django's storage API: with DOCUMENT_STORAGE_URL pointing at an
S3-compatible store, an application's upload is written there and read back from there (a
local S3 server, moto, started by the test: nothing leaves the machine)."""

import socket

import boto3
import pytest
from django.urls import reverse

from applications import services
from portal.settings.base import storage_from_url

from .conftest import PDF, pdf

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(settings, monkeypatch):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket="city-documents"
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": storage_from_url(
            f"s3://city-documents/portal?endpoint_url={endpoint}&region=us-east-1"
        ),
    }
    yield boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    server.stop()


def test_the_storage_url_names_an_s3_bucket():
    storage = storage_from_url(
        "s3://city-docs/uploads?endpoint_url=https://s3.example.gov&region=us-west-2"
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "city-docs",
        "location": "uploads",
        "file_overwrite": False,
        "default_acl": "private",
        "querystring_auth": True,
        "endpoint_url": "https://s3.example.gov",
        "region_name": "us-west-2",
    }
    assert storage_from_url("")["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_an_upload_is_kept_in_object_storage_and_downloaded_from_it(
    s3, client, form, applicant, django_capture_on_commit_callbacks
):
    application = services.application_start(template=form, applicant=applicant)
    requirement = form.document_requirements.get(name="Site Plan")
    document = services.application_document_upload(
        application=application, requirement_id=requirement.pk, upload=pdf(), by=applicant
    )
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="city-documents")["Contents"]]
    assert keys == [f"portal/{document.file.name}"]
    assert document.file.name.startswith(f"application-documents/{application.pk}/")
    client.force_login(applicant)
    response = client.get(
        reverse("applications:document_download", args=[application.reference, document.pk])
    )
    assert b"".join(response.streaming_content) == PDF

    with django_capture_on_commit_callbacks(execute=True):
        services.application_document_delete(document=document, by=applicant)
    assert "Contents" not in s3.list_objects_v2(Bucket="city-documents")
