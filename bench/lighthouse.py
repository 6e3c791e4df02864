"""Lighthouse (mobile) on five public pages, served by gunicorn with the production settings;
the scores go into docs/performance.md (`make lighthouse`, issue 23, requirement 15).

The database: LIGHTHOUSE_DATABASE_URL if set (used as it is); otherwise the benchmark's
PostgreSQL database (`make bench`) if it is there; otherwise a demo city seeded afresh into a
SQLite file under var/lighthouse/. The run says which it used, in the table's heading.

Lighthouse is the npm package installed under var/lighthouse/ by the make target, driving
Debian's Chromium (CHROME_PATH). Each page is measured `--runs` times (3 by default) and the
median run (by performance score) is reported. Nothing leaves this machine: the server listens
on 127.0.0.1 and Redis (the production settings' cache and broker) is the local one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "lighthouse"
LIGHTHOUSE = WORK / "node_modules" / ".bin" / "lighthouse"
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "lighthouse.json"
START = "<!-- lighthouse: written by bench/lighthouse.py -->"
END = "<!-- /lighthouse -->"
BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/permit_portal_bench"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_database_present() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            BENCH_DATABASE_URL.replace("postgres://", "postgresql://"), connect_timeout=3
        ) as c:
            return c.execute("SELECT count(*) FROM permits_permit").fetchone()[0] > 0
    except Exception:
        return False


def choose_database() -> tuple[str, str]:
    """(DATABASE_URL, what it is, for the report)."""
    if url := os.environ.get("LIGHTHOUSE_DATABASE_URL"):
        return url, f"the database LIGHTHOUSE_DATABASE_URL names ({re.sub(r'//[^@]*@', '//', url)})"
    if bench_database_present():
        return BENCH_DATABASE_URL, "the benchmark's database (`make bench`: 1,000,000 permits)"
    path = WORK / "demo.sqlite3"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.local"}
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run(
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return url, "the demo city, seeded afresh into SQLite (no benchmark database on this machine)"


def production_env(database_url: str) -> dict[str, str]:
    """The production settings' environment, for a server on this machine over plain HTTP
    (the TLS proxy's part, redirecting to HTTPS, is off)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": os.environ.get("LIGHTHOUSE_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "CACHE_URL": os.environ.get("LIGHTHOUSE_CACHE_URL", "redis://127.0.0.1:6379/15"),
        "STRIPE_SECRET_KEY": "sk_test_lighthouse",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_lighthouse",
        "STRIPE_WEBHOOK_SECRET": "whsec_lighthouse",
        "EMAIL_URL": "consolemail://",
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(WORK / "staticfiles"),
    }


def pages(env: dict[str, str]) -> list[tuple[str, str]]:
    """The five pages, with a permit and a street of the database used."""
    script = (
        "import json; from django.urls import reverse; from permits.models import Permit;"
        "p = Permit.objects.exclude(street_name='').order_by('-applied_on', '-id').first();"
        "print(json.dumps([reverse('home'), reverse('permits:search') + '?address=' +"
        " p.street_name.replace(' ', '+'), reverse('permits:detail', args=[p.number]),"
        " reverse('applications:guide'), reverse('account_login')]))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    paths = json.loads(out.strip().splitlines()[-1])
    return list(
        zip(["home", "search results", "a permit", "apply guide", "sign-in"], paths, strict=True)
    )


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it served a page")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http://127.0.0.1)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def lighthouse(url: str, output: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={output}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox",
        ],
        env=env,
        check=True,
        timeout=300,
    )
    return json.loads(output.read_text())


def summary(report: dict) -> dict:
    audits = report["audits"]
    failing = {
        category: [
            audits[ref["id"]]["title"]
            for ref in report["categories"][category]["auditRefs"]
            if ref["weight"] > 0
            and (audits[ref["id"]].get("score") is not None)
            and audits[ref["id"]]["score"] < 1
        ]
        for category in CATEGORIES
    }
    return {
        "scores": {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES},
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "si_ms": round(audits["speed-index"]["numericValue"]),
        "transfer_kib": round(audits["total-byte-weight"]["numericValue"] / 1024, 1),
        "not_passed": failing,
        "lighthouse": report["lighthouseVersion"],
        "chrome": report["environment"]["hostUserAgent"].split("Chrome/")[-1].split()[0],
    }


def table(results: list[dict], database: str, when: str) -> str:
    first = results[0]["runs"][0]
    lines = [
        f"Last run: {when} UTC, Lighthouse {first['lighthouse']} (mobile: its default emulated "
        f"phone, slow 4G and 4x CPU slowdown, simulated), Chromium {first['chrome']}, against "
        f"gunicorn with the production settings on {database}. Median of "
        f"{len(results[0]['runs'])} runs per page (by performance score).",
        "",
        "| page | path | performance | accessibility | best practices | SEO | first paint | "
        "largest paint | blocking | layout shift | transferred |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        run = result["median"]
        s = run["scores"]
        lines.append(
            f"| {result['page']} | `{result['path']}` | {s['performance']} | "
            f"{s['accessibility']} | {s['best-practices']} | {s['seo']} | "
            f"{run['fcp_ms'] / 1000:.1f} s | {run['lcp_ms'] / 1000:.1f} s | {run['tbt_ms']} ms | "
            f"{run['cls']} | {run['transfer_kib']} KiB |"
        )
    notes = sorted(
        {
            f"{category}: {title}"
            for result in results
            for category, titles in result["median"]["not_passed"].items()
            for title in titles
        }
    )
    if notes:
        lines += [
            "",
            "Scored audits not passed (on any page's median run): " + "; ".join(notes) + ".",
        ]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    if START in doc:
        before, rest = doc.split(START, 1)
        after = rest.split(END, 1)[1]
        doc = f"{before}{START}\n{text}\n{END}{after}"
    else:
        doc += f"\n{START}\n{text}\n{END}\n"
    DOC.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="Lighthouse runs per page (median reported)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table, leave the docs alone"
    )
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: `make lighthouse` installs it")
    WORK.mkdir(parents=True, exist_ok=True)
    database_url, database = choose_database()
    env = production_env(database_url)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    paths = pages(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    results = []
    try:
        wait_for(base + "/health/", server)
        # A server in service is warm: each worker has imported its views and filled its caches
        # (the first request of a fresh worker took 580 ms, most of Lighthouse's first paint).
        for _ in range(4):
            for _, path in paths:
                with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
                    response.read()
        for name, path in paths:
            runs = []
            for number in range(args.runs):
                report = lighthouse(base + path, WORK / f"report-{len(results)}-{number}.json")
                runs.append(summary(report))
            ordered = sorted(runs, key=lambda r: r["scores"]["performance"])
            median = ordered[len(ordered) // 2]
            results.append({"page": name, "path": path, "median": median, "runs": runs})
            each = [r["scores"]["performance"] for r in runs]
            print(f"{name}: {median['scores']} (performance of each run: {each})")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(WORK / "staticfiles", ignore_errors=True)
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    text = table(results, database, when)
    print(text)
    if not args.no_write:
        write_doc(text)
        RESULTS.write_text(
            json.dumps({"when": when, "database": database, "pages": results}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
