"""Nothing is lost while a service is down (issue 12, requirement 4): an email enqueued while
Redis is down is delivered once it is back, by a real worker, through the outbox and its relay;
with PostgreSQL stopped under load the web process answers a clean 503 page, and answers again
once PostgreSQL is back, without a restart. Each outage is of a private Redis or PostgreSQL
started here on a free port: the machine's own services are never stopped."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from accounts.tasks import send_registration_received
from core.models import OutboxTask
from licenses.models import LicenseLink
from licenses.services import license_link_request
from portal.celery import app
from tests.factories import LicenseFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
UNAVAILABLE = "The permit office's system is briefly unavailable; try again in a minute"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds:g} s")


def need(binary: str, required_by: str) -> None:
    if not Path(binary).exists():
        message = f"{binary} is not installed"
        if os.environ.get(required_by, "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{message} but {required_by} is set")
        pytest.skip(message)


# Redis --------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own, with no persistence: stopping it loses its queue, as
    a crashed or restarted broker would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        try:
            # No retries: redis-py's own would take seconds to tell that it is down.
            return redis.Redis(port=self.port, socket_timeout=1, retry=None).ping()
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, seconds=10, what="the private Redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        assert not self.ping()


@pytest.fixture
def private_redis(tmp_path):
    need(REDIS_SERVER, "PORTAL_REQUIRE_BROKER")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _forget_broker_connections() -> None:
    # Only forget them: kombu keeps its pools by broker address for the whole process, and the
    # next test takes the one for CELERY_BROKER_URL back from there (closing it would break it).
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str, queue: str):
    """The portal's Celery app, in this process, publishes to `url` (not eagerly) on `queue`."""
    conf = app.conf
    saved = (conf.broker_write_url, conf.task_always_eager, conf.task_default_queue)
    _forget_broker_connections()
    # broker_write_url, as CELERY_BROKER_URL in the environment outranks broker_url.
    conf.broker_write_url, conf.task_always_eager, conf.task_default_queue = url, False, queue
    try:
        yield
    finally:
        _forget_broker_connections()
        conf.broker_write_url, conf.task_always_eager, conf.task_default_queue = saved


@contextmanager
def worker_process(*, broker_url: str, queue: str, mail_dir: Path, log: Path, env: dict):
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": "",
        "EMAIL_FILE_PATH": str(mail_dir),
        **env,
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log.open("w") as output:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue),
                *("--pool=solo", "--without-heartbeat", "--without-gossip", "--without-mingle"),
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            print(log.read_text()[-3000:])


def make_due() -> None:
    OutboxTask.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_email_enqueued_while_redis_is_down_is_delivered_once_it_is_back(
    private_redis, tmp_path
):
    queue = f"portal-outage-{uuid.uuid4().hex[:8]}"
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    user, license = UserFactory(username="outage"), LicenseFactory()
    with (
        worker_process(
            broker_url=private_redis.url,
            queue=queue,
            mail_dir=mail_dir,
            log=log,
            env={"LICENSE_REVIEWER_EMAILS": "reviewer@city.example"},
        ),
        publishing_to(private_redis.url, queue),
    ):
        wait_for(lambda: " ready." in log.read_text(), seconds=60, what="the worker was not ready")
        private_redis.stop()

        # A real service call while Redis is down: the request succeeds without waiting on the
        # broker, the change is kept, and so is its email, in the outbox.
        started = time.monotonic()
        link = license_link_request(user=user, license=license)
        assert time.monotonic() - started < 2
        assert LicenseLink.objects.filter(pk=link.pk).exists()
        intent = OutboxTask.objects.get()
        assert intent.task_name == "licenses.tasks.notify_license_reviewers"
        assert intent.sent_at is None and intent.args == [link.pk]
        assert "Connection refused" in intent.last_error

        # The relay, while Redis is still down, keeps it too.
        make_due()
        call_command("relay_outbox", "--once")
        intent.refresh_from_db()
        assert intent.sent_at is None and intent.attempts == 2

        private_redis.start()  # empty: whatever it held before is gone
        make_due()
        call_command("relay_outbox", "--once")
        intent.refresh_from_db()
        assert intent.sent_at is not None

        delivered = wait_for(
            lambda: list(mail_dir.glob("*.log")),
            seconds=60,
            what="the worker delivered nothing once Redis was back",
        )
        body = delivered[0].read_text()
        assert "To: reviewer@city.example" in body
        assert f"License link to review: {license.number} for outage" in body

        # Once: another relay pass publishes nothing, and the worker delivers nothing more.
        call_command("relay_outbox", "--once")
        time.sleep(2)
        assert len(list(mail_dir.glob("*.log"))) == 1


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_control_without_the_outbox_an_email_sent_while_redis_is_down_is_lost(private_redis):
    """What enqueue_after_commit did before the outbox: `task.delay` once the commit is done.
    With Redis down the change is committed, the publish raises after it, and the email is
    nowhere to be sent from."""
    queue = f"portal-outage-{uuid.uuid4().hex[:8]}"
    with publishing_to(private_redis.url, queue):
        private_redis.stop()
        with pytest.raises(BrokerDown), transaction.atomic():
            user = UserFactory()
            transaction.on_commit(lambda: send_registration_received.delay(user.pk))
    assert type(user).objects.filter(pk=user.pk).exists()
    assert OutboxTask.objects.count() == 0
