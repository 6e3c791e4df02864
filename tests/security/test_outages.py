"""Nothing is lost while a service is down (issue 12, requirement 4): an email enqueued while
Redis is down is delivered once it is back, by a real worker, through the outbox and its relay;
with PostgreSQL stopped under load the web process answers a clean 503 page, and answers again
once PostgreSQL is back, without a restart. Each outage is of a private Redis or PostgreSQL
started here on a free port: the machine's own services are never stopped."""

import contextlib
import glob
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from core.events import deliver_event
from core.models import Event, OutboxTask
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
        assert intent.task_name == "core.events.deliver_event"
        event = Event.objects.get(type="license_link.requested", object_id=link.pk)
        assert intent.sent_at is None
        assert intent.args == [
            event.pk,
            "notifications.subscribers.accounts.notify_license_reviewers",
        ]
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
        # (A long Subject header is folded over two lines in the file.)
        assert f"License link to review: {license.number} for outage" in " ".join(body.split())

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
            # The event as it is, without the deliveries event_record queues in the outbox.
            event = Event.objects.create(
                type="account.registered",
                content_type=ContentType.objects.get_for_model(type(user)),
                object_id=user.pk,
            )
            name = "notifications.subscribers.accounts.send_registration_received"
            transaction.on_commit(lambda: deliver_event.delay(event.pk, name))
    assert type(user).objects.filter(pk=user.pk).exists()
    assert OutboxTask.objects.count() == 0


# PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_database_error_in_a_view_is_a_503_page_with_retry_after(client, monkeypatch):
    client.raise_request_exception = False

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("portal.views.PermitType.objects.count", unreachable)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert UNAVAILABLE in response.content.decode().replace("&#x27;", "'")


@pytest.mark.django_db
def test_a_database_error_in_a_middleware_is_a_503_page_too(client, monkeypatch):
    """The session is read by the middlewares, before any view: a lost connection there is the
    same 503, not a 500."""
    client.force_login(UserFactory())
    client.raise_request_exception = False

    def closed(self):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(import_module(settings.SESSION_ENGINE).SessionStore, "load", closed)
    response = client.get("/dashboard/")
    assert response.status_code == 503
    assert "briefly unavailable" in response.content.decode()


@pytest.mark.django_db
def test_control_any_other_error_stays_a_500(client, monkeypatch):
    client.raise_request_exception = False

    def broken(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr("portal.views.PermitType.objects.count", broken)
    response = client.get("/health/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def pg_binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else f"/usr/lib/postgresql/(none)/bin/{name}"


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (initdb into /tmp, run as the postgres user),
    to stop and start without touching the machine's."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="portal-pg-"))  # postgres must reach it
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def run(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def initdb(self) -> None:
        shutil.chown(self.directory, "postgres", "postgres")
        self.run(pg_binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def copy_schema_of(self, source: dict) -> None:
        """The test database's tables, as migrated (a dump is seconds; migrating anew, most of
        this test's time)."""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as server:
            server.execute("CREATE DATABASE portal")
        dump = subprocess.run(
            [
                *(pg_binary("pg_dump"), "--schema-only", "--no-owner", "--no-privileges"),
                *("-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)),
                *("-U", source["USER"] or "postgres", source["NAME"]),
            ],
            check=True,
            capture_output=True,
            timeout=60,
            env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
        ).stdout
        subprocess.run(
            [
                *(pg_binary("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"),
                *("-p", str(self.port), "-U", "postgres", "portal"),
            ],
            input=dump,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def pg_ctl(self, *args: str) -> None:
        self.run(pg_binary("pg_ctl"), "-D", str(self.data), *args)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self.pg_ctl("-o", options, "-l", str(self.directory / "log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        # fast: what a restart does to the connections the web process holds.
        self.pg_ctl("-m", "fast", "-w", "-t", "30", "stop")

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def fetch(url: str) -> tuple[int, str, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(), None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Retry-After")
    except urllib.error.URLError as error:  # not listening (yet)
        return 0, str(error.reason), None


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


@pytest.mark.postgres
@pytest.mark.django_db  # for the test database's tables, copied to the private cluster
def test_postgres_restarted_under_load_503s_then_recovers_without_restarting_the_web():
    need(pg_binary("initdb"), "PORTAL_REQUIRE_POSTGRES")
    database = PrivatePostgres()
    web_port = free_port()
    env = {
        **os.environ,
        # Persistent connections, as in production: they are what a restart leaves broken.
        "DJANGO_SETTINGS_MODULE": "tests.settings_persistent_connections",
        "DATABASE_URL": database.url,
        "CELERY_BROKER_URL": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    web = None
    try:
        database.initdb()
        database.start()
        database.copy_schema_of(connection.settings_dict)
        web = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers", "2"),
                *("--bind", f"127.0.0.1:{web_port}", "--no-control-socket", "--timeout", "30"),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{web_port}"
        pages = [f"{base}/health/", f"{base}/permits/search/?permit_number=B"]
        wait_for(
            lambda: all(fetch(page)[0] == 200 for page in pages),
            seconds=30,
            what="gunicorn did not serve",
        )
        workers = children(web.pid)
        assert len(workers) == 2

        # Load: four clients ask without pause through the whole outage.
        outcomes: list[tuple[int, str, str | None]] = []
        # The requests that began while the database was down: one that began before the stop
        # may still end with a 200 after it (seen on a loaded machine).
        down: list[tuple[int, str, str | None]] = []
        stopped = [math.inf, math.inf]  # (stopped at, started again at), time.monotonic()
        stop_load = threading.Event()

        def client(page: str) -> None:
            for _ in range(2000):  # bounded, in count and (below) in time
                if stop_load.is_set():
                    return
                began = time.monotonic()
                outcome = fetch(page)
                outcomes.append(outcome)
                if stopped[0] < began < stopped[1]:
                    down.append(outcome)

        clients = [threading.Thread(target=client, args=(pages[n % 2],)) for n in range(4)]
        for thread in clients:
            thread.start()
        try:
            time.sleep(1)
            database.stop()
            stopped[0] = time.monotonic()
            time.sleep(2)
            stopped[1] = time.monotonic()
            database.start()
            wait_for(
                lambda: all(fetch(page)[0] == 200 for page in pages for _ in range(4)),
                seconds=20,
                what="the web process did not recover once PostgreSQL was back",
            )
            time.sleep(1)
        finally:
            stop_load.set()
            for thread in clients:
                thread.join(30)

        statuses = {status for status, _, _ in outcomes}
        assert statuses <= {200, 503}, f"not a clean 503: {statuses}"
        assert down, "no request met the stopped database"
        assert {status for status, _, _ in down} == {503}
        for status, page, retry_after in outcomes:
            if status == 503:
                assert retry_after == "60"
                assert UNAVAILABLE in page
        assert outcomes[-1][0] == 200
        # Recovered by the same processes: no worker was restarted.
        assert children(web.pid) == workers

        # A restart while nobody asks leaves each worker holding a dead connection: the
        # health check (CONN_HEALTH_CHECKS) replaces it, so the first requests after succeed.
        assert all(fetch(page)[0] == 200 for page in pages * 4)
        database.stop()
        database.start()
        assert [fetch(page)[0] for page in pages * 4] == [200] * 8
        assert children(web.pid) == workers
    finally:
        if web is not None:
            web.terminate()
            try:
                web.wait(20)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
        database.cleanup()
