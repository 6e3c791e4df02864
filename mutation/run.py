"""Mutation testing of the rules that move money, change state and decide access (`make mutation`).

    python mutation/run.py [NAME ...] [--database-url postgres://...] [--keep] [--jobs N] [--list]

For each module of rules: copy the project to var/mutation/<name>/, rewrite its
`@transaction.atomic` functions as `with transaction.atomic():` bodies (mutmut leaves decorated
functions alone; mutation/unwrap.py), and run mutmut 3 on that module against its own tests.
mutmut maps each function to the tests that call it and runs only those for each of its mutants,
in processes forked from one warm test session. Every mutant runs on SQLite first (in memory,
fast); with --database-url, those that survive run again on PostgreSQL, where the tests of row
locks and races (marked `postgres`) run too: a mutant only they kill is killed there.

A mutant survives when no test fails with it. The run fails when a module scores under 90%, or
when a survivor is not one of the accepted ones in docs/testing.md (each listed there with why it
cannot matter): a new survivor is a rule no test guards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "var" / "mutation"
DOCS = REPO / "docs" / "testing.md"
RESULTS = REPO / "mutation" / "results.json"
THRESHOLD = 0.90
sys.path.insert(0, str(REPO))
from mutation.unwrap import unwrap_atomic  # noqa: E402 (run as a script from the repository)

# What a copy needs besides the packages: the templates the views render, the static files the
# pages name, the demo city's data, the sample files the import tests read (docs/samples), the
# project's settings.
COPY = [
    "core",
    "docs",
    "accounts",
    "licenses",
    "policy",
    "permits",
    "applications",
    "reviews",
    "inspections",
    "payments",
    "portal",
    "demo",
    "templates",
    "static",
    "tests",
    "manage.py",
]
SOURCE_PATHS = [
    "core",
    "policy",
    "accounts",
    "licenses",
    "permits",
    "applications",
    "reviews",
    "inspections",
    "payments",
    "portal",
    "demo",
]


@dataclass(frozen=True)
class Module:
    """A module of rules, the tests that guard it, and (optionally) only some of its functions."""

    name: str
    path: str
    tests: list[str]
    functions: list[str] = field(default_factory=list)

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    def mutant_patterns(self) -> list[str]:
        if not self.functions:
            return [f"{self.dotted}.*"]
        return [f"{self.dotted}.x_{function}__mutmut_*" for function in self.functions]


# The policy's tests, and the query scopes' that agree with it.
POLICY_TESTS = [
    "tests/policy/test_rules.py",
    "tests/permits/test_access.py",
    "tests/permits/test_inactive_license.py",
    "tests/payments/test_trust_policy.py",
    "tests/reviews/test_reviews.py",
    "tests/licenses/test_access.py",
    "tests/permits/test_policy_rules.py",
    "tests/permits/test_record_scopes.py",
    "tests/applications/test_right_reason.py",
    "tests/policy/test_staff_rules.py",
]

MODULES = [
    Module(
        "status",
        "core/status.py",
        ["tests/core/test_status_machine.py", "tests/core/test_status_machine_locks.py"],
    ),
    Module("policy-permits", "policy/permits.py", POLICY_TESTS),
    Module("policy-applications", "policy/applications.py", POLICY_TESTS),
    Module("policy-reviews", "policy/reviews.py", POLICY_TESTS),
    Module("policy-businesses", "policy/businesses.py", POLICY_TESTS),
    Module("policy-staff", "policy/staff.py", POLICY_TESTS),
    Module("record-scopes", "permits/scopes.py", POLICY_TESTS),
    Module(
        "trust",
        "payments/services/trust.py",
        [
            "tests/payments/test_trust.py",
            "tests/payments/test_trust_policy.py",
            "tests/payments/test_trust_rules.py",
            "tests/payments/test_money_safety.py",
            "tests/payments/test_trust_deposits.py",
            "tests/payments/test_trust_confirm.py",
        ],
    ),
    Module(
        "checkout",
        "payments/services/checkout.py",
        [
            "tests/payments/test_cart_and_checkout.py",
            "tests/payments/test_trust.py",
            "tests/payments/test_trust_deposits.py",
            "tests/payments/test_money_safety.py",
            "tests/payments/test_confirm_rules.py",
        ],
        functions=["payment_row_create", "payment_create"],
    ),
    Module(
        "confirm",
        "payments/services/confirm.py",
        [
            "tests/payments/test_money_safety.py",
            "tests/payments/test_providers.py",
            "tests/payments/test_stripe.py",
            "tests/payments/test_cart_and_checkout.py",
            "tests/payments/test_confirm_rules.py",
            "tests/payments/test_trust_deposits.py",
        ],
    ),
    Module(
        "refunds",
        "payments/services/refunds.py",
        [
            "tests/payments/test_money_safety.py",
            "tests/payments/test_providers.py",
            "tests/payments/test_refund_rules.py",
        ],
    ),
    Module(
        "issuing",
        "permits/issuing.py",
        ["tests/reviews/test_issuance.py", "tests/permits/test_issuing_rules.py"],
    ),
    Module(
        "issue-checks",
        "permits/checks.py",
        ["tests/permits/test_issuing_rules.py", "tests/reviews/test_issuance.py"],
    ),
    Module(
        "payment-flows",
        "payments/flows.py",
        [
            "tests/payments/test_refund_rules.py",
            "tests/payments/test_providers.py",
            "tests/payments/test_cart_and_checkout.py",
            "tests/payments/test_imported_payments.py",
            "tests/payments/test_trust_deposits.py",
        ],
    ),
    Module(
        "import-payments",
        "payments/imports.py",
        ["tests/payments/test_imported_payments.py", "tests/permits/test_import_permits.py"],
    ),
    Module(
        "permit-number",
        "permits/services.py",
        ["tests/permits/test_permit_numbers.py", "tests/applications/test_submit.py"],
        functions=["_number_in_use", "permit_number_next"],
    ),
    Module(
        "fees",
        "applications/fees.py",
        ["tests/applications/test_fees.py", "tests/applications/test_fee_rules.py"],
    ),
    Module(
        "fee-brackets",
        "applications/brackets.py",
        ["tests/applications/test_fees.py", "tests/applications/test_fee_rules.py"],
    ),
]


def copy_project(module: Module, work: Path) -> list[str]:
    """A fresh copy of the project in `work` (keeping mutmut's `mutants/` when asked), with the
    module's atomic functions unwrapped. Returns the names of the functions unwrapped."""
    for entry in work.iterdir() if work.exists() else ():
        if entry.name != "mutants":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    work.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "screenshots")
    for name in COPY:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(
            source, work / name, **({"ignore": ignore} if source.is_dir() else {})
        )
    target = work / module.path
    source, unwrapped = unwrap_atomic(target.read_text())
    target.write_text(source)
    pyproject = (REPO / "pyproject.toml").read_text()
    config = {
        "source_paths": SOURCE_PATHS,
        "only_mutate": [module.path],
        "also_copy": ["templates", "static", "docs/samples", "manage.py"],
        "pytest_add_cli_args_test_selection": module.tests,
        # No cache files, no xdist; the database options come from PYTEST_ADDOPTS (a change
        # here would make mutmut throw away every result it has).
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:xdist"],
        "use_git_change_detection": False,
        # Log lines are for whoever reads the logs: no rule depends on their words.
        "do_not_mutate_patterns": [r"\blogger\.(debug|info|warning|error|exception)\("],
    }
    lines = ["", "[tool.mutmut]", *(f"{key} = {json.dumps(v)}" for key, v in config.items())]
    (work / "pyproject.toml").write_text(pyproject + "\n".join(lines) + "\n")
    return unwrapped


@dataclass(frozen=True)
class Survivor:
    mutant: str
    function: str
    status: str  # survived, no tests, suspicious
    change: str  # as docs/testing.md writes it: `the line` → `the mutant's line`


@dataclass
class Outcome:
    module: Module
    counts: dict[str, int]
    survivors: list[Survivor]
    seconds: float
    # Survivors on SQLite that the PostgreSQL run killed: what only its tests catch.
    postgres_only: list[Survivor] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return self.counts.get("killed", 0) + self.counts.get("timeout", 0)

    @property
    def score(self) -> float:
        return self.killed / self.total if self.total else 1.0


STATUS_BY_EXIT_CODE = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
STATUS_BY_EXIT_CODE |= dict.fromkeys((36, 24, -24, 152, 255), "timeout")
POSTGRES_ONLY = "Only PostgreSQL"


def survivor(work: Path, mutant: str, status: str) -> Survivor:
    """The mutated function's name and the lines of the mutant that differ from the original."""
    diff = subprocess.run(
        [str(REPO / ".venv" / "bin" / "mutmut"), "show", mutant],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = " / ".join(line[1:].strip() for line in lines if line.startswith("-"))
    added = " / ".join(line[1:].strip() for line in lines if line.startswith("+"))
    function = re.sub(r"__mutmut_\d+$", "", mutant.rsplit(".", 1)[-1]).removeprefix("x_")
    function = function.replace("xǁ", "").replace("ǁ", ".")
    return Survivor(mutant, function, status, f"`{removed}` → `{added}`")


def accepted_survivors(*, postgres: bool, text: str | None = None) -> set[tuple[str, str, str]]:
    """(module, function, change) of each survivor docs/testing.md accepts: a row of its table
    `| module | function | change | why it cannot matter |`. A row whose reason begins "Only
    PostgreSQL" is a mutant the PostgreSQL tests kill: accepted in a run on SQLite only."""
    names = {module.name for module in MODULES}
    accepted = set()
    for line in (DOCS.read_text() if text is None else text).splitlines():
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)]
        if len(cells) != 6 or cells[1] not in names:
            continue
        module, function, change, why = cells[1:5]
        if postgres and why.startswith(POSTGRES_ONLY):
            continue
        accepted.add((module, function.strip("`"), change))
    return accepted


def run_module(
    module: Module, *, keep: bool, jobs: int, env: dict[str, str], database_url: str | None
) -> Outcome:
    """Run mutmut on the module, on SQLite (the schema from the models, in memory: fast); then,
    given a PostgreSQL database, run what survived again there, where the PostgreSQL-only tests
    (row locks, races) run too."""
    work = WORK / module.name
    if not keep and (work / "mutants").exists():
        shutil.rmtree(work / "mutants")
    copy_project(module, work)
    started = time.monotonic()
    print(f"\n== {module.name}: {module.path} against {', '.join(module.tests)}", flush=True)
    mutmut(work, jobs, module.mutant_patterns(), {**env, "PYTEST_ADDOPTS": "--nomigrations"})
    outcome = outcome_of(module, work)
    if database_url and outcome.survivors:
        print(f"   {len(outcome.survivors)} survive on SQLite: again on PostgreSQL", flush=True)
        postgres_env = {
            **env,
            "DATABASE_URL": database_url,
            # Each worker's test database is made once by the migrations (its triggers are in
            # them), then reused; the PostgreSQL tests fail rather than skip.
            "PYTEST_ADDOPTS": "--reuse-db",
            "PORTAL_REQUIRE_POSTGRES": "1",
            # One database a forked test session (tests/conftest.py): a worker's, mutmut's own.
            "PORTAL_TEST_DB_SLOTS": str(jobs + 1),
        }
        # Which tests call which function, read again: on SQLite the PostgreSQL tests skipped.
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
        on_sqlite = outcome.survivors
        mutmut(work, jobs, [found.mutant for found in on_sqlite], postgres_env)
        outcome = outcome_of(module, work)
        still = {found.mutant for found in outcome.survivors}
        outcome.postgres_only = [found for found in on_sqlite if found.mutant not in still]
    outcome.seconds = time.monotonic() - started
    return outcome


def prepare_postgres(database_url: str, *, slots: int, env: dict[str, str]) -> str:
    """Migrate a test database once, before the run, as the template each forked session's
    database is copied from (tests/conftest.py): made by the first session instead, the
    migrations would count against that mutant's time limit (and kill it); one left from an
    earlier run may predate a migration; and a session must never start from what another left
    (a transactional test's flush empties the rows the data migrations made, and the next
    session's tests would fail for that, "killing" a mutant they never saw). Its name."""
    import psycopg

    server, name = database_url.rsplit("/", 1)
    base = f"test_{name}"
    template = f"{base}_template"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for database in (template, *(f"{base}_slot{slot}" for slot in range(slots))):
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    first = (
        "tests/core/test_status_machine.py::test_a_status_the_table_does_not_list_allows_no_move"
    )
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "pytest"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--reuse-db",
            first,
        ],
        cwd=REPO,
        env={**env, "DATABASE_URL": database_url, "PORTAL_TEST_DB_SLOTS": "1"},
        capture_output=True,
        check=True,
    )
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{template}" TEMPLATE "{base}_slot0"')
    return template


def mutmut(work: Path, jobs: int, mutants: list[str], env: dict[str, str]) -> None:
    command = [str(REPO / ".venv" / "bin" / "mutmut"), "run", "--max-children", str(jobs)]
    result = subprocess.run(
        [*command, *mutants], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise SystemExit(f"mutmut failed in {work} (exit {result.returncode})")


def outcome_of(module: Module, work: Path) -> Outcome:
    """The module's mutants and their verdicts, as mutmut last recorded them."""
    meta = json.loads((work / "mutants" / f"{module.path}.meta").read_text())
    wanted = [re.compile(re.escape(p).replace(r"\*", ".*") + "$") for p in module.mutant_patterns()]
    counts: dict[str, int] = {}
    survivors = []
    for mutant, code in sorted(meta["exit_code_by_key"].items()):
        if not any(pattern.match(mutant) for pattern in wanted):
            continue
        status = STATUS_BY_EXIT_CODE.get(code, "suspicious")
        counts[status] = counts.get(status, 0) + 1
        if status not in ("killed", "timeout"):
            survivors.append(survivor(work, mutant, status))
    return Outcome(module, counts, survivors, 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="modules to run (all by default)")
    parser.add_argument("--keep", action="store_true", help="keep mutmut's earlier results")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--list", action="store_true", help="list the modules and stop")
    parser.add_argument(
        "--database-url",
        help="run what survives SQLite again on PostgreSQL (postgres://...), with its own tests",
    )
    parser.add_argument(
        "--tests", nargs="+", help="run one module against these tests instead of its own"
    )
    args = parser.parse_args()
    if args.list:
        for module in MODULES:
            print(f"{module.name:14} {module.path:32} {' '.join(module.tests)}")
        return 0
    chosen = [m for m in MODULES if not args.names or m.name in args.names]
    unknown = set(args.names) - {m.name for m in MODULES}
    if unknown:
        raise SystemExit(f"No such module: {', '.join(sorted(unknown))} (see --list)")
    if args.tests:
        if len(chosen) != 1:
            raise SystemExit("--tests goes with one module.")
        chosen = [replace(chosen[0], tests=args.tests)]
    # On SQLite first, whatever the caller's environment (CI requires PostgreSQL, the broker and
    # the browser of the suite: here the PostgreSQL tests skip until the second phase).
    dropped = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "PORTAL_REQUIRE_POSTGRES",
        "PORTAL_REQUIRE_BROKER",
        "PORTAL_REQUIRE_BROWSER",
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    postgres = bool(args.database_url)
    if postgres:
        env["PORTAL_TEST_DB_TEMPLATE"] = prepare_postgres(
            args.database_url, slots=args.jobs + 1, env=env
        )
    outcomes, broken = [], []
    for module in chosen:
        try:
            outcome = run_module(
                module, keep=args.keep, jobs=args.jobs, env=env, database_url=args.database_url
            )
        except SystemExit as error:  # mutmut could not run this module: say so, go on
            print(f"\n{module.name}: {error}")
            broken.append(module.name)
            continue
        outcomes.append(outcome)
        write_results([outcome], postgres=postgres)  # kept even if a later module fails
    print(f"\n{'module':14} {'mutants':>8} {'killed':>7} {'score':>7} {'time':>7}")
    for outcome in outcomes:
        print(
            f"{outcome.module.name:14} {outcome.total:8} {outcome.killed:7} "
            f"{outcome.score:7.1%} {outcome.seconds:6.0f}s"
        )
    accepted = accepted_survivors(postgres=postgres)
    failed = False
    for outcome in outcomes:
        name = outcome.module.name
        new = [
            found
            for found in outcome.survivors
            if (name, found.function, found.change) not in accepted
        ]
        if outcome.score < THRESHOLD:
            failed = True
            print(f"\n{name}: {outcome.score:.1%} is under {THRESHOLD:.0%}")
        if new:
            failed = True
            print(f"\n{name}: {len(new)} survivors docs/testing.md does not accept (a test to")
            print("write, or a row there saying why the mutant cannot matter):")
            for found in new:
                change = found.change.replace("|", "\\|")
                print(f"| {name} | `{found.function}` | {change} | ({found.status}) |")
        if outcome.postgres_only:
            print(f"\n{name}: killed on PostgreSQL only (rows for SQLite runs):")
            for found in outcome.postgres_only:
                change = found.change.replace("|", "\\|")
                print(f"| {name} | `{found.function}` | {change} | {POSTGRES_ONLY}: |")
    if broken:
        failed = True
        print(f"\nmutmut did not run for: {', '.join(broken)}")
    return 1 if failed else 0


def write_results(outcomes: list[Outcome], *, postgres: bool) -> None:
    """mutation/results.json: each module's last score (the table in docs/testing.md)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for outcome in outcomes:
        results[outcome.module.name] = {
            "module": outcome.module.path,
            "database": "postgresql" if postgres else "sqlite",
            "mutants": outcome.total,
            "killed": outcome.killed,
            "score": round(outcome.score, 4),
            "survivors": len(outcome.survivors),
            "killed only on postgresql": len(outcome.postgres_only),
            "seconds": round(outcome.seconds),
            "when": time.strftime("%Y-%m-%d %H:%M"),
        }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
