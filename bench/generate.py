"""Generate a city at scale on PostgreSQL: 1,000,000 permits, 20,000 businesses and licenses,
3,000,000 fees and 500,000 inspections, with one contractor holding 50,000 permits; a third of
the permits applied for online, with their plan review.

    python bench/generate.py [--permits 1000000] [--database-url postgres://...]

The rows are written with COPY, with the secondary indexes dropped and foreign-key triggers off
during the load (the data is consistent by construction), then the indexes are built from the
project's own migrations, and the tables vacuumed and analysed. Deterministic: a fixed seed.
"""

import argparse
import datetime
import importlib
import io
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/permit_portal_bench"
SEED = 1_000_003
# Dates are drawn relative to the day of the run, so "upcoming" and "last 30 days" mean what
# they mean to the benchmark that follows.
TODAY = datetime.date.today()

STREETS = [
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Walnut",
    "Chestnut",
    "Spruce",
    "Birch",
    "Willow",
    "Lincoln",
    "Washington",
    "Jefferson",
    "Adams",
    "Monroe",
    "Madison",
    "Jackson",
    "Grant",
    "Lake",
    "Park",
    "Hill",
    "River",
    "Spring",
    "Meadow",
    "Forest",
    "Prairie",
    "Sunset",
    "Capitol",
    "Cook",
    "Grand",
    "Wabash",
    "Peoria",
    "Stevenson",
    "MacArthur",
    "Chatham",
    "Dirksen",
    "Iles",
    "Lawrence",
    "Edwards",
    "Allen",
    "Pasfield",
    "Laurel",
    "Stanton",
    "Clear Lake",
    "Bruns",
    "Koke Mill",
    "Veterans",
    "Wiggins",
    "Sangamon",
    "Jessica",
    "Cotton Hill",
    "Woodside",
    "Ash",
    "Hickory",
    "Dogwood",
    "Magnolia",
    "Poplar",
    "Sycamore",
    "Aspen",
    "Hawthorne",
    "Franklin",
    "Hamilton",
    "Kennedy",
    "Roosevelt",
    "Wilson",
    "Taylor",
    "Polk",
    "Harrison",
    "Fayette",
    "Douglas",
    "Carpenter",
    "Mason",
    "Ridgely",
    "Brandt",
    "Dial",
    "Outer Park",
]
DIRECTIONS = ["", "", "N ", "S ", "E ", "W "]
SUFFIXES = ["St", "Ave", "Rd", "Dr", "Blvd", "Ln", "Ct", "Way", "Pl", "Pkwy"]
# The city's streets: about 1,400 of them.
STREET_NAMES = sorted(
    {
        f"{DIRECTIONS[(i * 7 + j) % len(DIRECTIONS)]}{name} {suffix}"
        for i, name in enumerate(STREETS)
        for j, suffix in enumerate(SUFFIXES)
    }
    | {
        f"{direction}{name} {suffix}"
        for direction in DIRECTIONS[2:]
        for name in STREETS[:40]
        for suffix in SUFFIXES[:5]
    }
)
CITIES = [("Springfield", "IL", zip_code) for zip_code in range(62701, 62716)] + [
    ("Chatham", "IL", 62629),
    ("Rochester", "IL", 62563),
    ("Sherman", "IL", 62684),
]
PERMIT_TYPES = [
    ("RES", "Residential Building"),
    ("COM", "Commercial Building"),
    ("ELE", "Electrical"),
    ("MEC", "Mechanical"),
    ("PLM", "Plumbing"),
    ("ROF", "Roofing"),
    ("DEM", "Demolition"),
]
LICENSE_TYPES = [
    ("EC", "Electrical"),
    ("MC", "Mechanical"),
    ("PC", "Plumbing"),
    ("GC", "General"),
    ("RC", "Residential"),
]
STATUSES = (
    ["submitted"] * 4
    + ["in_review"] * 5
    + ["pending_approval"] * 3
    + ["ready_to_issue"] * 4
    + ["issued"] * 30
    + ["finaled"] * 40
    + ["expired"] * 10
    + ["cancelled"] * 4
)
WORK = [
    "Kitchen remodel",
    "New single-family dwelling",
    "Roof replacement",
    "200A service upgrade",
    "Water heater replacement",
    "Furnace replacement",
    "Deck addition",
    "Basement finish",
    "Tenant build-out",
    "Detached garage",
    "Solar PV system",
    "Sewer repair",
]
FEE_NAMES = ["Building Permit Fee", "Plan Review Fee", "Technology Fee"]
BIG_PERMITS = 50_000
DATABASE_SETTINGS = [
    # Short queries: compiling them with LLVM costs more than running them.
    "jit = off",
    # The data are in memory (or on SSD): random reads cost little more than sequential ones.
    "random_page_cost = 1.1",
    "effective_cache_size = '12GB'",
    "work_mem = '32MB'",
]
TRADES = ["Builders", "Electric", "Plumbing", "Mechanical", "Construction", "Roofing", "Homes"]


def parcel(rng: random.Random) -> str:
    township, section = rng.randint(10, 36), rng.randint(10, 99)
    return f"{township}-{section}.0-{rng.randint(100, 499)}-{rng.randint(1, 99):03d}"


def tsv(value) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def schema_defaults(table: str, columns: list[str]) -> dict[str, object]:
    """The columns of `table` (as the migrations left it) that the generator does not name and
    the database needs a value for: each with its model field's default. A migration that adds a
    column with a default is followed without a change here; one without a default stops the
    generator at once, naming the column to fill."""
    from django.apps import apps
    from django.db import connection, models

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.generated:
            continue
        if field.db_default is not models.NOT_PROVIDED or field.null:
            continue  # the database fills it in
        if not field.has_default():
            raise SystemExit(
                f"bench/generate.py writes {table} without {field.column}, which has no "
                "default: give it a value in the generator."
            )
        value = field.get_default()
        if isinstance(value, dict | list):  # a JSON column, written as its text
            defaults[field.column] = json.dumps(value)
        else:
            defaults[field.column] = field.get_db_prep_save(value, connection=connection)
    return defaults


def insert_rows(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """INSERT a few rows, with what the schema needs besides (schema_defaults)."""
    extra = schema_defaults(table, columns)
    names = [*columns, *extra]
    placeholders = ", ".join(["%s"] * len(names))
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})",
        [(*row, *extra.values()) for row in rows],
    )


class Copier:
    """COPY rows in large chunks of tab-separated text, with what the schema needs besides the
    columns named (schema_defaults)."""

    def __init__(self, cursor, table: str, columns: list[str]) -> None:
        self.extra = schema_defaults(table, columns)
        self.cursor, self.table, self.columns = cursor, table, [*columns, *self.extra]
        self.buffer = io.StringIO()
        self.count = 0
        self.copy = None

    def __enter__(self):
        self.context = self.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN")
        self.copy = self.context.__enter__()
        return self

    def row(self, *values) -> None:
        values = (*values, *self.extra.values())
        self.buffer.write("\t".join(tsv(value) for value in values))
        self.buffer.write("\n")
        self.count += 1
        if self.count % 20_000 == 0:
            self.flush()

    def flush(self) -> None:
        self.copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()

    def __exit__(self, *exc):
        self.flush()
        return self.context.__exit__(*exc)


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def fresh_database(url: str) -> None:
    """Every run starts from an empty database, so the schema is exactly the migrations'."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permits", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    started = time.monotonic()

    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    log("schema ready", started)

    rng = random.Random(SEED)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.connection.cursor()
        # Data consistent by construction: no foreign-key trigger per row during the load.
        cursor.execute("SET session_replication_role = replica")
        dropped = drop_secondary_indexes(
            cursor,
            [
                "permits_permit",
                "permits_fee",
                "permits_permitlicense",
                "inspections_inspection",
                "inspections_inspectionlicense",
            ],
        )
        load(cursor, rng, args.permits, started)
        cursor.execute("SET session_replication_role = DEFAULT")
        log(f"rebuilding {len(dropped)} indexes", started)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in dropped:
            cursor.execute(statement)
    setup_bench_users()
    setup_bench_applications()
    log("bench users and the online application form ready", started)
    load_plan_review_history()
    log("a third of the permits applied for online, with their plan review", started)
    with connection.cursor() as cursor:
        # The settings docs/performance.md recommends for production, for this database.
        name = args.database_url.rsplit("/", 1)[1]
        for setting in DATABASE_SETTINGS:
            cursor.execute(f'ALTER DATABASE "{name}" SET {setting}')
        cursor.execute("VACUUM (ANALYZE)")
    log(f"done: {args.permits:,} permits", started)


def drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop every index of these tables that is neither a primary key nor backs a constraint;
    return the statements that make them again."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for name, _ in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def load(cursor, rng: random.Random, permit_count: int, started: float) -> None:
    now = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
    insert_rows(cursor, "licenses_licensetype", ["prefix", "name"], LICENSE_TYPES)
    insert_rows(
        cursor,
        "permits_permittype",
        ["code", "name", "is_active"],
        [(code, name, True) for code, name in PERMIT_TYPES],
    )
    cursor.execute("SELECT id FROM permits_permittype ORDER BY id")
    type_ids = [row[0] for row in cursor.fetchall()]
    insert_rows(
        cursor,
        "inspections_inspectiontype",
        ["permit_type_id", "code", "name", "is_final"],
        [
            (type_id, code, name, code == "199")
            for type_id in type_ids
            for code, name in (
                ("101", "Footing"),
                ("105", "Framing"),
                ("150", "Rough-In"),
                ("199", "Final"),
            )
        ],
    )
    kinds_by_type: dict[int, list[int]] = {}
    cursor.execute(
        "SELECT it.id, it.permit_type_id FROM inspections_inspectiontype it ORDER BY it.id"
    )
    for kind_id, type_id in cursor.fetchall():
        kinds_by_type.setdefault(type_id, []).append(kind_id)

    businesses = 20_000
    with Copier(
        cursor,
        "licenses_contractor",
        [
            "id",
            "business_name",
            "contact_name",
            "address",
            "city",
            "state",
            "zip_code",
            "phone",
            "email",
            "pin",
            "created_at",
            "updated_at",
        ],
    ) as copy:
        for n in range(1, businesses + 1):
            name = (
                "Big Builder Co." if n == 1 else f"{rng.choice(STREETS)} {rng.choice(TRADES)} {n}"
            )
            city, state, zip_code = rng.choice(CITIES)
            copy.row(
                n,
                name,
                f"Owner {n}",
                f"{rng.randint(1, 9999)} {rng.choice(STREET_NAMES)}",
                city,
                state,
                zip_code,
                f"(217) 555-{n % 10000:04d}",
                f"office{n}@contractor.example",
                f"B{n:07d}",
                now,
                now,
            )
    with Copier(
        cursor,
        "licenses_license",
        [
            "id",
            "number",
            "license_type_id",
            "holder_id",
            "status",
            "issued_on",
            "expires_on",
            "created_at",
            "updated_at",
        ],
    ) as copy:
        for n in range(1, businesses + 1):
            type_id = (n % len(LICENSE_TYPES)) + 1
            prefix = LICENSE_TYPES[type_id - 1][0]
            copy.row(
                n,
                f"{prefix}{100000 + n}",
                type_id,
                n,
                "active" if n % 17 else "expired",
                "2020-01-01",
                "2028-01-01",
                now,
                now,
            )
    log(f"{businesses:,} businesses and licenses", started)

    permit_columns = [
        "id",
        "number",
        "permit_type_id",
        "description",
        "status",
        "street_number",
        "street_name",
        "unit",
        "city",
        "state",
        "zip_code",
        "parcel_number",
        "valuation",
        "owner_name",
        "applied_on",
        "issued_on",
        "expires_on",
        "finaled_on",
        "created_at",
        "updated_at",
    ]
    sequences: dict[str, int] = {}
    fee_id = inspection_id = 0
    license_of: list[int] = []
    applied_dates: list[datetime.date] = []
    statuses = []
    with Copier(cursor, "permits_permit", permit_columns) as permits:
        for n in range(1, permit_count + 1):
            type_index = rng.randrange(len(PERMIT_TYPES))
            code = PERMIT_TYPES[type_index][0]
            applied = TODAY - datetime.timedelta(days=rng.randint(0, 3650))
            key = f"{code}{applied:%y}"
            sequences[key] = sequences.get(key, 0) + 1
            status = rng.choice(STATUSES)
            if applied > TODAY - datetime.timedelta(days=60) and status in ("finaled", "expired"):
                status = "issued"
            issued = (
                applied + datetime.timedelta(days=rng.randint(5, 40))
                if status in ("issued", "finaled", "expired")
                else None
            )
            expires = issued + datetime.timedelta(days=365) if issued else None
            finaled = (
                issued + datetime.timedelta(days=rng.randint(30, 300))
                if status == "finaled"
                else None
            )
            city, state, zip_code = rng.choice(CITIES)
            unit = rng.choice(["", "", "", "", "", "A", "2", "101", "B"])
            permits.row(
                n,
                f"{key}-{sequences[key]:06d}",
                type_index + 1,
                rng.choice(WORK),
                status,
                rng.randint(1, 9999),
                rng.choice(STREET_NAMES),
                unit,
                city,
                state,
                zip_code,
                parcel(rng),
                f"{rng.randint(1000, 900000)}.00",
                f"Owner {rng.randint(1, 99999)}",
                applied,
                issued,
                expires,
                finaled,
                now,
                now,
            )
            # The big contractor (license 1) holds one permit in 20: 50,000 of a million.
            license_of.append(
                1 if n % 20 == 0 and n // 20 <= BIG_PERMITS else rng.randint(2, businesses)
            )
            statuses.append((status, type_index + 1, issued))
            applied_dates.append(applied)
    # One COPY at a time on a connection: the license professionals after the permits.
    # With triggers off during the load, the copies of status and applied date are written here.
    with Copier(
        cursor, "permits_permitlicense", ["id", "permit_id", "license_id", "status", "applied_on"]
    ) as links:
        for n, license_id in enumerate(license_of, start=1):
            links.row(n, n, license_id, statuses[n - 1][0], applied_dates[n - 1])
    log(f"{permit_count:,} permits", started)

    with Copier(
        cursor, "permits_fee", ["id", "permit_id", "description", "amount", "assessed_on", "status"]
    ) as fees:
        for n, (status, _type_id, _issued) in enumerate(statuses, start=1):
            paid = status in ("issued", "finaled", "expired")
            for k, name in enumerate(FEE_NAMES):
                fee_id += 1
                amount = (25, 150, 15)[k] + rng.randint(0, 400) if k != 2 else 15
                fee_status = (
                    "paid"
                    if paid or (k == 1 and status != "submitted")
                    else ("waived" if status == "cancelled" else "due")
                )
                fees.row(
                    fee_id,
                    n,
                    name,
                    f"{amount}.00",
                    TODAY - datetime.timedelta(days=rng.randint(0, 3650)),
                    fee_status,
                )
    log(f"{fee_id:,} fees", started)

    target = permit_count // 2
    with Copier(
        cursor,
        "inspections_inspection",
        [
            "id",
            "permit_id",
            "inspection_type_id",
            "status",
            "scheduled_for",
            "time_preference",
            "completed_on",
            "result",
            "result_comments",
            "inspector_notes",
            "contact_name",
            "contact_phone",
            "request_notes",
            "created_at",
        ],
    ) as inspections:
        for n, (status, type_id, issued) in enumerate(statuses, start=1):
            if issued is None or inspection_id >= target:
                continue
            kinds = kinds_by_type[type_id]
            count = 1 if status == "issued" else 0 if n % 3 else 1
            # Independent of which contractor holds the permit (license 1 holds every 20th).
            for k in range(2 if rng.random() < 0.05 else count):
                inspection_id += 1
                # A city has a few thousand requests open at a time, not tens of thousands.
                upcoming = status == "issued" and k == 0 and rng.random() < 0.025
                if upcoming:
                    day = TODAY + datetime.timedelta(days=rng.randint(1, 14))
                else:  # resulted some days after issue, never in the future
                    since_issue = (TODAY - issued).days
                    if since_issue < 3:
                        inspection_id -= 1
                        continue
                    day = issued + datetime.timedelta(days=rng.randint(3, min(90, since_issue)))
                inspections.row(
                    inspection_id,
                    n,
                    kinds[k % len(kinds)],
                    "scheduled" if upcoming else "completed",
                    day,
                    "",
                    None if upcoming else day,
                    "" if upcoming else rng.choice(["passed", "passed", "passed", "failed"]),
                    "" if upcoming else "Approved.",
                    "",
                    "Site contact",
                    "(217) 555-0100",
                    "",
                    now,
                )
    log(f"{inspection_id:,} inspections", started)
    # Triggers are off during the load: fill the inspections' license rows as the trigger would.
    cursor.execute(
        "INSERT INTO inspections_inspectionlicense "
        "(inspection_id, license_id, status, scheduled_for, completed_on) "
        "SELECT i.id, pl.license_id, i.status, i.scheduled_for, i.completed_on "
        "FROM inspections_inspection i JOIN permits_permitlicense pl ON pl.permit_id = i.permit_id"
    )
    log("inspection license rows", started)
    cursor.execute(
        "INSERT INTO permits_licensepermitcount (license_id, status, permits) "
        "SELECT license_id, status, count(*) FROM permits_permitlicense GROUP BY 1, 2"
    )
    log("permit counts per license", started)
    cursor.execute(
        "INSERT INTO permits_licensefeesdue (license_id, amount) "
        "SELECT pl.license_id, SUM(f.amount) FROM permits_permitlicense pl "
        "JOIN permits_fee f ON f.permit_id = pl.permit_id WHERE f.status = 'due' GROUP BY 1"
    )
    log("fees due per license", started)
    for table in (
        "licenses_contractor",
        "licenses_license",
        "permits_permit",
        "permits_permitlicense",
        "permits_fee",
        "inspections_inspection",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )


def setup_bench_users() -> None:
    """The 50,000-permit contractor's manager, verified and approved, with a collection."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from licenses.models import License, LicenseLink, Membership
    from permits.models import Collection, CollectionItem, PermitLicense

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username="bench",
        defaults={"email": "bench@bench.example", "first_name": "Bench", "last_name": "Builder"},
    )
    user.set_password("bench-password-123")
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    big = License.objects.get(pk=1)
    LicenseLink.objects.get_or_create(
        user=user, license=big, defaults={"status": "approved", "decided_at": timezone.now()}
    )
    Membership.objects.get_or_create(
        user=user, contractor=big.holder, defaults={"can_manage": True}
    )
    collection, _ = Collection.objects.get_or_create(owner=user, name="Bench collection")
    ids = list(
        PermitLicense.objects.filter(license=big)
        .order_by("permit_id")
        .values_list("permit_id", flat=True)[:200]
    )
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=collection, permit_id=pk) for pk in ids], ignore_conflicts=True
    )


def setup_bench_applications() -> None:
    """Residential Building open for online application with the demo city's form (questions,
    documents, fee schedule), for the wizard's timings (bench/run.py)."""
    from applications.models import ApplicationTemplate, TemplateStatus
    from demo.seed import load_city, publish_application_form
    from permits.models import PermitType

    spec = next(form for form in load_city()["application_forms"] if form["type"] == "RES")
    permit_type = PermitType.objects.get(code="RES")
    if not ApplicationTemplate.objects.filter(
        permit_type=permit_type, status=TemplateStatus.PUBLISHED
    ).exists():
        publish_application_form(permit_type, spec)


# A third of the city's permits were applied for online (a third of the big contractor's too):
# each its application, its plan review (one discipline, one or two cycles) and, for one in ten
# approved, a condition of approval, as the city's history would have them. So the dashboard's
# "Needs your action" reads corrections awaited and conditions to answer among realistic numbers
# (263 and 339 of the big contractor's permits; 12,142 conditions open city-wide, most on permits
# long expired). Applicants are left empty: the bench user's own applications are bench/run.py's.
# A permit's draw from 0 to 9, independent of its id's own residues (the big contractor holds
# every 20th permit).
DRAW = "((hashint8(p.id) & 2147483647) % 10)"
COIN = "((hashint8(-p.id) & 2147483647) % 2)"  # another, heads or tails
PLAN_REVIEW_HISTORY = [
    """INSERT INTO auth_group (name) VALUES ('Bench history reviewers')
       ON CONFLICT (name) DO NOTHING""",
    """INSERT INTO applications_reviewdiscipline (name, target_days, active, position, group_id)
       SELECT 'Plans (history)', 10, true, 9, id FROM auth_group
        WHERE name = 'Bench history reviewers'
       ON CONFLICT (name) DO NOTHING""",
    """INSERT INTO applications_application (reference, status, street_number, street_name, unit,
            city, state, zip_code, parcel_number, owner_name, owner_email, answers, to_confirm,
            steps_saved, attestation_name, last_step, created_at, updated_at, submitted_at,
            business_id, license_id, permit_id, template_id)
       SELECT 'H-' || p.id, CASE WHEN p.status = 'submitted' THEN 'submitted' ELSE 'accepted' END,
              p.street_number, p.street_name, p.unit, p.city, p.state, p.zip_code,
              p.parcel_number, p.owner_name, '', '{}', '[]', '[]', p.owner_name, 'review',
              p.applied_on, p.applied_on, p.applied_on, l.holder_id, pl.license_id, p.id,
              (SELECT t.id FROM applications_applicationtemplate t
                 JOIN permits_permittype pt ON pt.id = t.permit_type_id
                WHERE pt.code = 'RES' ORDER BY t.version DESC LIMIT 1)
         FROM permits_permit p
         JOIN permits_permitlicense pl ON pl.permit_id = p.id
         JOIN licenses_license l ON l.id = pl.license_id
        WHERE p.id % 3 = 0""",
    # Cycle 1 of every accepted application: still with the city for half of those In Review;
    # decided for the rest.
    """INSERT INTO applications_reviewcycle (number, opened_at, decided_at, application_id)
       SELECT 1, a.submitted_at + interval '1 day',
              CASE WHEN p.status = 'in_review' AND {DRAW} < 5 THEN NULL
                   ELSE a.submitted_at + interval '8 days' END,
              a.id
         FROM applications_application a JOIN permits_permit p ON p.id = a.permit_id
        WHERE a.reference LIKE 'H-%' AND a.status = 'accepted'""",
    # Cycle 2 after corrections: three in ten of those past review (decided), half of those In
    # Review whose cycle 1 is decided (resubmitted, with the city); the other half wait for
    # their contractor's corrections.
    """INSERT INTO applications_reviewcycle (number, opened_at, decided_at, application_id)
       SELECT 2, a.submitted_at + interval '15 days',
              CASE WHEN p.status = 'in_review' THEN NULL
                   ELSE a.submitted_at + interval '22 days' END,
              a.id
         FROM applications_application a JOIN permits_permit p ON p.id = a.permit_id
        WHERE a.reference LIKE 'H-%' AND a.status = 'accepted'
          AND CASE WHEN p.status = 'in_review' THEN {DRAW} >= 8 ELSE {DRAW} < 3 END""",
    """INSERT INTO applications_review (status, due_on, decided_at, cycle_id, discipline_id)
       SELECT CASE WHEN c.decided_at IS NULL THEN 'pending'
                   WHEN c.number = 1 AND (p.status = 'in_review' OR EXISTS (
                        SELECT 1 FROM applications_reviewcycle n
                         WHERE n.application_id = c.application_id AND n.number = 2))
                        THEN 'corrections_required'
                   WHEN {DRAW} = 9 THEN 'approved_conditions'
                   ELSE 'approved' END,
              CAST(c.opened_at + interval '14 days' AS date), c.decided_at, c.id,
              (SELECT id FROM applications_reviewdiscipline WHERE name = 'Plans (history)')
         FROM applications_reviewcycle c
         JOIN applications_application a ON a.id = c.application_id
         JOIN permits_permit p ON p.id = a.permit_id
        WHERE a.reference LIKE 'H-%'""",
    # Met by the final inspection on finaled permits; answered online on half the issued ones;
    # left open on the rest (expired and cancelled permits' among them, for good).
    """INSERT INTO applications_reviewcondition (text, stage, met_at, answer, answered_at,
            review_id)
       SELECT 'Keep the alley side of the lot clear during construction.', 'final',
              CASE WHEN p.status = 'finaled' THEN r.decided_at + interval '30 days' END,
              CASE WHEN p.status = 'issued' AND {COIN} = 1 THEN 'Done: see the survey.'
                   ELSE '' END,
              CASE WHEN p.status = 'issued' AND {COIN} = 1
                   THEN r.decided_at + interval '10 days' END,
              r.id
         FROM applications_review r
         JOIN applications_reviewcycle c ON c.id = r.cycle_id
         JOIN applications_application a ON a.id = c.application_id
         JOIN permits_permit p ON p.id = a.permit_id
        WHERE r.status = 'approved_conditions' AND a.reference LIKE 'H-%'""",
]


def load_plan_review_history() -> None:
    """With triggers off (the data is consistent by construction), then AwaitingAnswer filled
    as its triggers would have (the migration's own statement)."""
    from django.db import connection

    fill = importlib.import_module("reviews.migrations.0003_awaiting_answer").FILL
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM applications_application WHERE reference LIKE 'H-%' LIMIT 1")
        if cursor.fetchone():
            return
        cursor.execute("SET session_replication_role = replica")
        for statement in PLAN_REVIEW_HISTORY:
            cursor.execute(statement.replace("{DRAW}", DRAW).replace("{COIN}", COIN))
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(fill)


if __name__ == "__main__":
    main()
