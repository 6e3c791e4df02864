import pytest


@pytest.fixture(autouse=True)
def quick_failures(page):
    """Fail in seconds, not the default half minute: every page here is served locally."""
    page.set_default_timeout(10_000)
    expect_timeout = 10_000
    from playwright.sync_api import expect

    expect.set_options(timeout=expect_timeout)
    return page


@pytest.fixture
def mail_folder(settings, tmp_path):
    """Email to files in a folder of the test's own (the live server's thread writes there)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path
