"""Load the portal as a city's busy morning does (`make load`), then check the money.

    python load/run.py [--users 50] [--spawn-rate 10] [--run-time 2m] [--max-requests 30000]
                       [--database-url postgres://postgres@127.0.0.1:5432/permit_portal_load]
                       [--no-wait] [--no-report]

1. A city of its own: bench/generate.py makes a fresh database (100,000 permits and 20,000
   businesses by default); load/city.py adds 25 businesses whose two users each (a Manager and
   a colleague with Pay) have a verified address, an approved license, a funded trust account
   and 30 permits with a fee due, through the import and the services.
2. Waits for a quiet machine: no benchmark running (`pgrep -f bench/run.py` finds nothing) and
   a 1-minute load under 2 (every 30 s, at most 20 minutes; --no-wait skips it).
3. The production settings, unchanged, with a loopback environment (README, Production): its
   own PostgreSQL database, a Redis database for the broker and another for the cache,
   TRUSTED_PROXY_COUNT=1 (the client plays the TLS proxy: load/locustfile.py), mail to files,
   Stripe keys that are never used (trust payments only; web processes get a dead HTTPS proxy,
   so nothing could leave the machine). gunicorn on 127.0.0.1 with the README's 4 workers and
   no control socket, and one Celery worker sending the receipts and alerts.
4. Locust, headless: --users for --run-time, and stopped sooner if --max-requests are spent.
5. Then, with the servers stopped: Locust's own stats (no failure), the server's access log
   (no 5xx), and the ledger checks of load/checks.py on the database.
6. Writes load/results.json and the "Load" section of docs/performance.md (--no-report: not the
   document), and exits 1 on any failure, 5xx or ledger problem.

PostgreSQL and Redis must be running: this script never starts, stops or reconfigures either.
It only ever drops and creates its own database (a name with "load" in it) and flushes its own
two Redis databases (refusing ones that hold keys it did not put there).
"""

import argparse
import csv
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/permit_portal_load"
RESULTS = REPO / "load" / "results.json"
DOCS = REPO / "docs" / "performance.md"
README = REPO / "README.md"
MARKER = "permit-portal-load"
# Pages in the report's order; anything else the run named comes after them.
PAGE_ORDER = [
    "home",
    "search: address",
    "search: permit number",
    "search: license",
    "permit detail",
    "search CSV (small)",
    "sign-in form",
    "sign-in",
    "dashboard",
    "permit detail (signed in)",
    "search: address (signed in)",
    "cart: add (Pay Fees Due)",
    "cart",
    "checkout",
    "checkout: pay from trust",
    "receipt",
    "cart: remove",
    "trust account",
    "sign-out",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="2m", help="Locust's --run-time, e.g. 2m or 90s")
    parser.add_argument("--max-requests", type=int, default=30_000)
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 4)")
    parser.add_argument("--permits", type=int, default=100_000)
    parser.add_argument("--businesses", type=int, default=25)
    parser.add_argument("--permits-each", type=int, default=30)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")
    parser.add_argument("--no-report", action="store_true", help="leave docs/performance.md")
    return parser.parse_args()


def seconds_of(run_time: str) -> int:
    total = 0
    for amount, unit in re.findall(r"(\d+)\s*([hms]?)", run_time):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1, "": 1}[unit]
    return total


def say(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


# Services ---------------------------------------------------------------------------------------


def check_database_name(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if "load" not in name or "bench" in name:
        raise SystemExit(
            f"The load run drops and recreates its database: {name!r} does not look like one of "
            "its own (the name must contain 'load', never 'bench')."
        )


def check_services(args: argparse.Namespace) -> None:
    import psycopg
    import redis

    server = args.database_url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(server, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        raise SystemExit(f"PostgreSQL is not reachable ({error}); start it first.") from None
    for url in (args.broker_url, args.cache_url):
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            client.ping()
        except redis.RedisError as error:
            raise SystemExit(f"Redis at {url} is not reachable ({error}).") from None
        # Our own database, or an empty one: never another engineer's keys.
        if client.dbsize() and not client.exists(MARKER):
            raise SystemExit(
                f"Redis database {url} holds keys the load run did not put there: choose "
                "another with --broker-url / --cache-url."
            )
        client.flushdb()
        client.set(MARKER, "the load run's own database (load/run.py)")
    if args.broker_url.rstrip("/") == args.cache_url.rstrip("/"):
        raise SystemExit("The cache must not be the broker (as in production).")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"Port {args.port} on 127.0.0.1 is taken: choose another (--port).")


def wait_for_quiet(max_minutes: int = 20, every: int = 30, max_load: float = 2.0) -> dict:
    """A benchmark or a test run on this 2-core machine would be measured with the portal."""
    started = time.monotonic()
    while True:
        running = subprocess.run(
            ["pgrep", "-f", "bench/run.py"], capture_output=True, text=True, check=False
        ).stdout.split()
        load1 = os.getloadavg()[0]
        if not running and load1 < max_load:
            return {"waited_s": round(time.monotonic() - started), "load_1min": round(load1, 2)}
        if time.monotonic() - started > max_minutes * 60:
            raise SystemExit(
                f"The machine stayed busy for {max_minutes} minutes (benchmark processes "
                f"{running or 'none'}, 1-minute load {load1:.2f}); run again later, or with "
                "--no-wait to measure anyway."
            )
        say(
            f"waiting for a quiet machine: benchmark {'running' if running else 'not running'}, "
            f"1-minute load {load1:.2f} (at most {max_load})"
        )
        time.sleep(every)


def server_environment(args: argparse.Namespace, run_dir: Path) -> dict[str, str]:
    """What the production settings require, for the loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "CACHE_URL": args.cache_url,
        # django-environ drops one slash after "//": three, then the absolute path.
        "EMAIL_URL": f"filemail:///{run_dir / 'mail'}",
        # The README's one proxy: it appends the client's address to X-Forwarded-For.
        "TRUSTED_PROXY_COUNT": "1",
        # Required by the production settings; never called (no card payment in the load).
        "STRIPE_SECRET_KEY": "sk_test_load_run_never_called",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_load_run_never_called",
        "STRIPE_WEBHOOK_SECRET": "whsec_load_run_never_called",
        "PORTAL_BASE_URL": f"https://127.0.0.1:{args.port}",
        "STATIC_ROOT": str(run_dir / "static"),
        "MEDIA_ROOT": str(run_dir / "media"),
        "LOG_LEVEL": "WARNING",
    }


# Steps ------------------------------------------------------------------------------------------


def build_city(args: argparse.Namespace, run_dir: Path) -> None:
    say(f"generating a city of {args.permits:,} permits in {args.database_url.rsplit('/', 1)[1]}")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    with (run_dir / "generate.log").open("w") as log:
        subprocess.run(
            [
                sys.executable,
                str(REPO / "bench" / "generate.py"),
                "--permits",
                str(args.permits),
                "--database-url",
                args.database_url,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            cwd=REPO,
        )


def prepare(args: argparse.Namespace, run_dir: Path, env: dict[str, str]) -> Path:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from load.city import prepare_city

    call_command("collectstatic", interactive=False, verbosity=0)
    say(f"{args.businesses} businesses, 2 users each, {args.permits_each} permits with a fee due")
    plan = prepare_city(businesses=args.businesses, permits_each=args.permits_each, run_dir=run_dir)
    plan_path = run_dir / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    connection.close()
    return plan_path


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("w")
    return subprocess.Popen(
        command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
    )


def stop(process: subprocess.Popen, seconds: int = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health/", headers={"X-Forwarded-Proto": "https"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(60):
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting: see gunicorn.log in the run folder.")
        try:
            with opener.open(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /health/ within 30 s.")


def wait_for_queue(broker_url: str, seconds: int = 60) -> int:
    """The worker sends what the run queued (receipts, alerts) before it is stopped: nothing
    left in the broker's queue, and no task still waiting in the outbox (core.outbox: written
    with the change that asked for it, published after its commit)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    left = 0
    for _ in range(seconds):
        left = client.llen("celery") + outbox_pending()
        if not left:
            return 0
        time.sleep(1)
    return left


def outbox_published() -> int:
    from core.models import OutboxTask

    return OutboxTask.objects.filter(sent_at__isnull=False).count()


def outbox_pending() -> int:
    from core.models import OutboxTask

    return OutboxTask.objects.filter(sent_at__isnull=True).count()


def run_locust(args: argparse.Namespace, run_dir: Path, plan: Path, meter: "CpuMeter") -> int:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    command = [
        str(BIN / "locust"),
        "-f",
        str(REPO / "load" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--stop-timeout",
        "10",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--csv",
        str(run_dir / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--load-plan",
        str(plan),
        "--max-requests",
        str(args.max_requests),
        "--load-summary",
        str(run_dir / "summary.json"),
    ]
    say(f"locust: {args.users} users for {args.run_time} (at most {args.max_requests:,} requests)")
    with (run_dir / "locust.log").open("w") as log:
        locust = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO, text=True
        )
        meter.watch("Locust", locust.pid)
        try:
            for line in locust.stdout:
                log.write(line)
                print(line, end="", flush=True)
            return locust.wait(seconds_of(args.run_time) + 120)
        except subprocess.TimeoutExpired:
            locust.kill()
            raise SystemExit("Locust did not stop on its run time.") from None


class CpuMeter:
    """Who used the machine's CPUs during the run: the portal's processes (gunicorn and its
    workers, their PostgreSQL backends, the Celery worker), Locust, and everything else (another
    engineer's tests, say). Sampled every second in a thread, so that processes that end during
    the run still count."""

    def __init__(self, database: str) -> None:
        import threading

        self.database = database
        self.groups: dict[str, list[int]] = {}
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group_of: dict[int, str] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def watch(self, group: str, pid: int, *, children: bool = True) -> None:
        self.groups.setdefault(group, []).append(pid if children else -pid)

    def start(self) -> None:
        import psutil

        self.machine_start = psutil.cpu_times()
        self.started = time.monotonic()
        self.sample(baseline=True)
        self.thread.start()

    def loop(self) -> None:
        while not self.stop_event.wait(1):
            self.sample()

    def sample(self, baseline: bool = False) -> None:
        import psutil

        seen: dict[int, tuple[str, float]] = {}
        for group, pids in self.groups.items():
            for pid in pids:
                try:
                    root = psutil.Process(abs(pid))
                    family = root.children(recursive=True) if pid > 0 else []
                    for process in [root, *family]:
                        times = process.cpu_times()
                        seen[process.pid] = (group, times.user + times.system)
                except psutil.NoSuchProcess:
                    continue
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            if process.pid in seen or process.info["cpu_times"] is None:
                continue
            cmdline = " ".join(process.info["cmdline"] or [])
            times = process.info["cpu_times"]
            ours = cmdline.startswith("postgres:") and f" {self.database}" in cmdline
            # Anything else on the machine, by its name (another engineer's pytest, say).
            group = "PostgreSQL" if ours else f"other: {process_label(process.info)}"
            seen[process.pid] = (group, times.user + times.system)
        for pid, (group, used) in seen.items():
            if pid not in self.first:
                self.first[pid] = used if baseline else 0.0
            self.last[pid] = used
            self.group_of[pid] = group

    def stop(self) -> dict:
        import psutil

        self.sample()
        self.stop_event.set()
        self.thread.join()
        elapsed = time.monotonic() - self.started
        end = psutil.cpu_times()
        spent = {
            name: getattr(end, name) - getattr(self.machine_start, name) for name in end._fields
        }
        total = sum(spent.values()) or 1.0
        # Steal: time the hypervisor gave this virtual machine's CPUs to someone else.
        idle = spent["idle"] + spent.get("iowait", 0.0) + spent.get("steal", 0.0)
        used: dict[str, float] = {}
        for pid, group in self.group_of.items():
            used[group] = used.get(group, 0.0) + self.last[pid] - self.first[pid]
        others = sorted(
            (
                (group[len("other: ") :], seconds)
                for group, seconds in used.items()
                if group.startswith("other: ")
            ),
            key=lambda item: -item[1],
        )
        shares = {
            group: round(100 * seconds / total, 1)
            for group, seconds in used.items()
            if not group.startswith("other: ")
        }
        shares["other processes"] = round(100 * sum(seconds for _, seconds in others) / total, 1)
        shares["the kernel and processes too short to sample"] = round(
            100 * (total - idle - sum(used.values())) / total, 1
        )
        return {
            "seconds": round(elapsed, 1),
            "busy_percent": round(100 * (total - idle) / total, 1),
            "steal_percent": round(100 * spent.get("steal", 0.0) / total, 1),
            "percent_of_all_cpus": shares,
            "busiest_other_processes": {
                name: round(100 * seconds / total, 1) for name, seconds in others[:3]
            },
        }


def process_label(info: dict) -> str:
    """A process's name, and for an interpreter the script it runs (`python manage.py`)."""
    argv = info["cmdline"] or []
    if len(argv) > 1 and info["name"].startswith("python"):
        if "-c" in argv:  # e.g. a pytest-xdist worker
            return f"{info['name']} -c"
        script = next((arg for arg in argv[1:] if not arg.startswith("-")), "")
        return f"{info['name']} {Path(script).name}".strip()
    return info["name"]


# Results ----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def locust_totals(run_dir: Path) -> dict[str, int]:
    with (run_dir / "locust_stats.csv").open(newline="") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
                return {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                }
    return {"requests": 0, "failures": 0}


def server_errors(run_dir: Path) -> dict[str, int]:
    statuses: dict[str, int] = {}
    for line in (run_dir / "access.log").read_text().splitlines():
        status, _, request = line.partition(" ")
        if request.startswith('GET "/health/"'):
            continue  # the readiness probe before the run
        statuses[status[:1] + "xx"] = statuses.get(status[:1] + "xx", 0) + 1
    log = (run_dir / "gunicorn.log").read_text()
    worker_log = (run_dir / "celery.log").read_text()
    return {
        "access_log_requests": sum(statuses.values()),
        "access_log_5xx": statuses.get("5xx", 0),
        "worker_timeouts": log.count("WORKER TIMEOUT"),
        "tracebacks": log.count("Traceback"),
        "celery_errors": len(re.findall(r" (?:ERROR|CRITICAL)[ /]", worker_log)),
    }


def server_times(run_dir: Path) -> list[dict]:
    """What each request cost the server itself (gunicorn's access log: from the worker taking
    it to the response), by route: the client's time less the wait for a free worker."""
    from load.routes import ROUTES, match

    times: dict[str, list[int]] = {}
    for line in (run_dir / "access.log").read_text().splitlines():
        found = re.match(r'\d{3} (\w+) "([^"]*)" (\d+)ms', line)
        if not found or found.group(2) == "/health/":
            continue
        method, where, ms = found.groups()
        route = next((name for name in ROUTES if match(name, where) is not None), None)
        key = f"{method} {ROUTES[route].template if route else where}"
        times.setdefault(key, []).append(int(ms))
    total = sum(sum(values) for values in times.values()) or 1
    rows = [
        {
            "request": name,
            "requests": len(values),
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "share_percent": round(100 * sum(values) / total, 1),
        }
        for name, values in times.items()
    ]
    return sorted(rows, key=lambda row: -row["share_percent"])


def pages_of(summary: dict) -> list[dict]:
    names = [n for n in PAGE_ORDER if n in summary["pages"]]
    names += sorted(n for n in summary["pages"] if n not in PAGE_ORDER)
    pages = []
    for name in names:
        times = summary["pages"][name]["times_ms"]
        pages.append(
            {
                "page": name,
                "requests": len(times),
                "failures": len(summary["pages"][name]["failures"]),
                "p50_ms": round(percentile(times, 0.5), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_ms": round(max(times), 1),
                "mean_ms": round(statistics.fmean(times), 1),
            }
        )
    return pages


def machine() -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory_kb = int(info.readline().split()[1])
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024),
        "python": platform.python_version(),
        "postgresql": pg.split(" ")[0],
    }


def money_counts() -> dict:
    from django.db.models import Sum

    from payments.models import Payment, PaymentMethod, PaymentStatus

    paid = Payment.objects.filter(method=PaymentMethod.TRUST, status=PaymentStatus.CONFIRMED)
    return {
        "trust payments": paid.count(),
        "paid from trust accounts": f"{paid.aggregate(total=Sum('total'))['total'] or 0:,.2f}",
        "card payments (must be none)": Payment.objects.exclude(method=PaymentMethod.TRUST).count(),
    }


def write_docs(results: dict) -> None:
    """This run's numbers in docs/performance.md, between the load markers."""
    m, run = results["machine"], results["run"]
    checks = results["ledger"]
    lines = [
        f"Last run: {results['finished_at']}, `{results['command']}`, on {m['cpus']} cores "
        f"({m['cpu']}), {m['memory_gib']} GiB, PostgreSQL {m['postgresql']}, Python "
        f"{m['python']}; 1-minute load {results['quiet']['load_1min']} before it. "
        f"{run['users']} users (spawned {run['spawn_rate']:g} a second) for {run['run_time']}, "
        f"stopped by the {results['locust']['stopped_by']}; gunicorn with {run['workers']} sync "
        f"workers; a city of {run['permits']:,} permits.",
        "",
        f"**{results['totals']['requests']:,} requests, {results['totals']['failures']} failed, "
        f"{results['server']['access_log_5xx']} answered 5xx** "
        f"({results['throughput_rps']} requests/s; by status: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(results["locust"]["statuses"].items()))
        + f"; the server's access log: {results['server']['access_log_requests']:,} requests, "
        f"{results['server']['worker_timeouts']} worker timeouts).",
        "",
        cpu_sentence(results.get("cpu") or {}, m["cpus"]),
        "",
        "| page | requests | failures | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page in results["pages"]:
        lines.append(
            f"| {page['page']} | {page['requests']:,} | {page['failures']} | {page['p50_ms']} "
            f"| {page['p95_ms']} | {page['max_ms']} |"
        )
    lines += [
        "",
        "What each request cost the server (gunicorn's access log: from a worker taking it to "
        "its response, so without the wait for a free worker), by the share of the workers' "
        "time it took:",
        "",
        "| request | count | p50 ms | p95 ms | share of the workers' time |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results.get("server_times", []):
        lines.append(
            f"| `{row['request']}` | {row['requests']:,} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['share_percent']}% |"
        )
    outcomes = results["locust"]["outcomes"]
    counts = checks["counts"]
    lines += [
        "",
        "What the contractors did: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(outcomes.items()))
        + ".",
        "",
        f"Ledger checks: **{'all balanced' if not checks['problems'] else 'PROBLEMS'}**: "
        f"{counts['trust payments paid']:,} trust payments paid "
        f"(${results['money']['paid from trust accounts']}), "
        f"{counts['trust payments not paid']} not paid and {counts['trust payments refunded']} "
        f"refunded, on {counts['trust accounts']} trust accounts; "
        f"{counts['fees paid through payments']:,} fees paid through payments; "
        f"{results['money']['card payments (must be none)']} card payments; "
        f"{results['mail']['sent']} emails sent by the Celery worker (receipts, alerts), "
        f"{results['mail']['left_in_queue']} left in the queue or the outbox"
        + (
            "."
            if not checks["problems"]
            else ". Problems: " + "; ".join(checks["problems"][:20]) + "."
        ),
    ]
    DOCS.write_text(replace_between(DOCS.read_text(), "load", "\n".join(lines)))
    verdict = (
        f"every one of its {results['money']['trust payments']} trust payments balanced "
        "against the ledger"
        if not checks["problems"]
        else f"{len(checks['problems'])} ledger problems"
    )
    slowest = max(results["pages"], key=lambda page: page["p95_ms"])
    summary = (
        f"Last run: {results['totals']['requests']:,} requests in {run['run_time']}, "
        f"{results['totals']['failures']} failed, {results['server']['access_log_5xx']} 5xx, "
        f"{verdict}; the slowest page at p95 was {slowest['page']} "
        f"({slowest['p95_ms']:,.0f} ms)."
    )
    README.write_text(replace_between(README.read_text(), "load-readme", summary))


def cpu_sentence(cpu: dict, cpus: int) -> str:
    if not cpu:
        return ""
    shares = sorted(cpu["percent_of_all_cpus"].items(), key=lambda item: -item[1])
    busiest = ", ".join(
        f"{name} {share:g}%" for name, share in cpu["busiest_other_processes"].items()
    )
    return (
        f"CPU during the run: the {cpus} cores were {cpu['busy_percent']:g}% busy "
        f"(and {cpu['steal_percent']:g}% taken by the hypervisor); of all their time, "
        + ", ".join(f"{group} {share:g}%" for group, share in shares)
        + (f"; the busiest other processes: {busiest}" if busiest else "")
        + "."
    )


def replace_between(text: str, marker: str, body: str) -> str:
    start = text.index(f"<!-- {marker}:")
    start = text.index("-->", start) + 3
    end = text.index(f"<!-- /{marker} -->")
    return f"{text[:start]}\n{body}\n{text[end:]}"


def main() -> None:
    args = parse_args()
    check_database_name(args.database_url)
    run_dir = REPO / "var" / "load" / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True)
    (run_dir / "mail").mkdir()
    check_services(args)
    build_city(args, run_dir)
    env = server_environment(args, run_dir)
    plan = prepare(args, run_dir, env)
    quiet = {"waited_s": 0, "load_1min": round(os.getloadavg()[0], 2)}
    if not args.no_wait:
        quiet = wait_for_quiet()
    say(f"machine quiet (1-minute load {quiet['load_1min']}); starting the servers")

    server_env = {**os.environ, **env}
    # Nothing leaves the machine: an HTTPS call from a web process would fail at once.
    server_env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    worker = start(
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        server_env,
        run_dir / "celery.log",
    )
    gunicorn = start(
        [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--no-control-socket",
            "--access-logfile",
            str(run_dir / "access.log"),
            "--access-logformat",
            '%(s)s %(m)s "%(U)s" %(M)sms',
        ],
        server_env,
        run_dir / "gunicorn.log",
    )
    started = time.monotonic()
    meter = CpuMeter(args.database_url.rsplit("/", 1)[1])
    meter.watch("gunicorn", gunicorn.pid)
    meter.watch("Celery worker", worker.pid)
    # This script itself: it streams Locust's output and samples the CPUs.
    meter.watch("load/run.py", os.getpid(), children=False)
    cpu = {}
    try:
        wait_until_serving(args.port, gunicorn)
        started = time.monotonic()
        meter.start()
        locust_exit = run_locust(args, run_dir, plan, meter)
        elapsed = time.monotonic() - started
        cpu = meter.stop()
    finally:
        stop(gunicorn)
        left = wait_for_queue(args.broker_url)
        worker_died = worker.poll() is not None
        stop(worker)

    summary = json.loads((run_dir / "summary.json").read_text())
    from load.checks import ledger_check

    ledger = ledger_check()
    results = {
        "finished_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(
            ["make load" if os.environ.get("MAKELEVEL") else "python load/run.py", *sys.argv[1:]]
        ),
        "machine": machine(),
        "quiet": quiet,
        "run": {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "run_time": args.run_time,
            "max_requests": args.max_requests,
            "workers": args.workers,
            "permits": args.permits,
            "businesses": args.businesses,
        },
        "totals": locust_totals(run_dir),
        "throughput_rps": round(summary["requests"] / max(elapsed, 1), 1),
        "locust": {
            "exit_code": locust_exit,
            "statuses": summary["statuses"],
            "outcomes": summary["outcomes"],
            "stopped_by": summary["stopped_by"],
        },
        "server": server_errors(run_dir),
        "cpu": cpu,
        "pages": pages_of(summary),
        "server_times": server_times(run_dir),
        "ledger": {"problems": ledger.problems, "counts": ledger.counts},
        "money": money_counts(),
        "mail": {
            "sent": len(list((run_dir / "mail").iterdir())),
            "left_in_queue": left,
            "outbox_published": outbox_published(),
        },
        "run_dir": str(run_dir.relative_to(REPO)),
    }
    failures = []
    if results["totals"]["failures"] or summary["failures"]:
        failures.append(f"{results['totals']['failures']} failed requests")
    if results["server"]["access_log_5xx"] or summary["statuses"].get("5xx"):
        failures.append(f"{results['server']['access_log_5xx']} responses 5xx")
    if locust_exit:
        failures.append(f"Locust exited with {locust_exit}")
    if ledger.problems:
        failures.append(f"{len(ledger.problems)} ledger problems")
    if not results["money"]["trust payments"]:
        failures.append("no payment was made: the load proved nothing about the ledger")
    if results["server"]["tracebacks"]:
        failures.append(f"{results['server']['tracebacks']} tracebacks in gunicorn.log")
    if worker_died or left or results["server"]["celery_errors"]:
        failures.append(
            f"the Celery worker {'died and ' if worker_died else ''}left {left} tasks queued "
            f"and logged {results['server']['celery_errors']} errors (see celery.log)"
        )
    if results["money"]["card payments (must be none)"]:
        failures.append("card payments were started")
    results["failed"] = failures

    print_table(results)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_report:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_docs(results)
        say("written: load/results.json and the Load section of docs/performance.md")
    if failures:
        for problem in ledger.problems[:50]:
            print("  ledger:", problem)
        for page in results["pages"]:
            for failure in summary["pages"][page["page"]]["failures"][:5]:
                print(f"  {page['page']}: {failure}")
        raise SystemExit("Load FAILED: " + "; ".join(failures))
    say("Load passed: no failure, no 5xx, every payment balanced against the ledger.")
    # The run folder keeps the logs and mail; the database stays for a look (dropdb to clear).
    shutil.rmtree(run_dir / "static", ignore_errors=True)


def print_table(results: dict) -> None:
    print()
    print(f"{'page':32} {'requests':>9} {'failures':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for page in results["pages"]:
        print(
            f"{page['page']:32} {page['requests']:9,} {page['failures']:9} {page['p50_ms']:8} "
            f"{page['p95_ms']:8} {page['max_ms']:8}"
        )
    print(
        f"total {results['totals']['requests']:,} requests, {results['totals']['failures']} "
        f"failures, {results['server']['access_log_5xx']} 5xx, "
        f"{results['throughput_rps']} requests/s"
    )
    print(cpu_sentence(results.get("cpu") or {}, results["machine"]["cpus"]))
    print("outcomes:", results["locust"]["outcomes"])
    print("ledger:", results["ledger"]["counts"], results["money"], results["mail"])


if __name__ == "__main__":
    main()
