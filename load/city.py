"""The load run's contractors, on top of a city made by bench/generate.py.

Everything goes through the ways a city does it: the permits with fees due come in through
`import_permits` (a BLDS file, as ops load them), each business's first user asks for its
license and a clerk approves it (so the user becomes its Manager), a colleague joins with the
business's PIN and the Manager grants Pay, the Manager sets the low-balance alert (which opens
the trust account) and the clerk records a deposit. Nothing is written behind a service's back.

Half the businesses get a deposit that covers everything; the other half one that runs out
during the run, so that payments refused for the balance, and debits racing for the last
dollars of an account, are part of the load.
"""

import csv
import datetime
import random
import secrets
from decimal import Decimal
from io import StringIO
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.services import membership_associate, membership_set_roles
from licenses.models import License, LicenseStatus, Role
from licenses.services import license_link_approve, license_link_request
from payments.models import EntryKind
from payments.services.trust import trust_record, trust_threshold_set
from permits.models import Fee, FeeStatus, Permit, PermitLicense, PermitType

SEED = 20_261_212
RICH_DEPOSIT = Decimal("100000.00")
TIGHT_DEPOSIT = Decimal("2500.00")
LOW_BALANCE_ALERT = Decimal("1000.00")
STATUSES = ["In Review", "Application Accepted", "Fees Due"]


def load_businesses(count: int) -> list[License]:
    """Active licenses of distinct businesses with a few permits each; not license 1, the
    benchmark's 50,000-permit contractor, whose dashboard the benchmark times on its own."""
    chosen: list[License] = []
    holders: set[int] = set()
    licenses = (
        License.objects.filter(status=LicenseStatus.ACTIVE)
        .exclude(pk=1)
        .select_related("holder", "license_type")
        .order_by("pk")
    )
    for license in licenses.iterator():
        if license.holder_id not in holders:
            holders.add(license.holder_id)
            chosen.append(license)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"The city has {len(chosen)} active businesses; the load needs {count}.")


def write_permits_file(path: Path, licenses: list[License], permits_each: int) -> list[list[str]]:
    """A BLDS file of `permits_each` permits with a fee due for each business; returns the
    permit numbers, business by business."""
    rng = random.Random(SEED)
    types = list(PermitType.objects.order_by("code").values_list("code", "name"))
    year = timezone.localdate().strftime("%y")
    numbers: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "PermitNum",
                "Description",
                "AppliedDate",
                "StatusCurrent",
                "OriginalAddress1",
                "OriginalCity",
                "OriginalState",
                "OriginalZip",
                "PermitType",
                "PermitTypeDesc",
                "EstProjectCost",
                "ContractorCompanyName",
                "ContractorLicNum",
                "Fee",
                "OwnerName",
            ]
        )
        for b, license in enumerate(licenses, start=1):
            mine = []
            for i in range(1, permits_each + 1):
                code, name = rng.choice(types)
                # The generator numbers its permits from 000001 up; 8bbiii never meets them.
                number = f"{code}{year}-8{b:02d}{i:03d}"
                mine.append(number)
                applied = timezone.localdate() - datetime.timedelta(days=rng.randint(1, 60))
                writer.writerow(
                    [
                        number,
                        f"Load run permit {i} of {license.holder.business_name}",
                        applied.isoformat(),
                        rng.choice(STATUSES),
                        f"{rng.randint(100, 9999)} Load Test Ave",
                        "Springfield",
                        "IL",
                        "62701",
                        code,
                        name,
                        f"{rng.randint(5, 400) * 1000}.00",
                        license.holder.business_name,
                        license.number,
                        f"{rng.randint(8, 60) * 5}.00",
                        f"Owner {b}-{i}",
                    ]
                )
            numbers.append(mine)
    return numbers


def prepare_city(*, businesses: int, permits_each: int, run_dir: Path) -> dict:
    """The load's businesses, users, permits and trust accounts; returns the plan Locust
    reads (accounts with their passwords, and samples of the public data to search for)."""
    licenses = load_businesses(businesses)
    permits_file = run_dir / "load-permits.csv"
    numbers = write_permits_file(permits_file, licenses, permits_each)
    report = StringIO()
    call_command("import_permits", str(permits_file), "--no-progress", stdout=report)
    (run_dir / "import-permits.txt").write_text(report.getvalue(), encoding="utf-8")
    due = Fee.objects.filter(
        permit__number__in=[n for mine in numbers for n in mine], status=FeeStatus.DUE
    ).count()
    if due != businesses * permits_each:
        raise RuntimeError(
            f"import_permits left {due} fees due for {businesses * permits_each} permits:\n"
            + report.getvalue()
        )

    password = secrets.token_urlsafe(18)
    # One hash for every load account: hashing 50 times (PBKDF2) would only slow the setup.
    hashed = make_password(password)
    user_model = get_user_model()
    clerk, _ = user_model.objects.get_or_create(
        username="load-clerk",
        defaults={"email": "clerk@load.example", "is_staff": True, "password": "!"},
    )
    accounts = []
    for b, (license, mine) in enumerate(zip(licenses, numbers, strict=True), start=1):
        contractor = license.holder
        with transaction.atomic():
            manager = make_user(user_model, f"load{b:02d}a", hashed)
            link = license_link_request(user=manager, license=license)
            license_link_approve(link=link, by=clerk)
            colleague = make_user(user_model, f"load{b:02d}b", hashed)
            membership = membership_associate(user=colleague, pin=contractor.pin)
            membership_set_roles(membership=membership, by=manager, roles={Role.PAY})
            account = trust_threshold_set(
                contractor=contractor, threshold=LOW_BALANCE_ALERT, by=manager
            )
            trust_record(
                account=account,
                kind=EntryKind.DEPOSIT,
                amount=RICH_DEPOSIT if b % 2 else TIGHT_DEPOSIT,
                reference=f"Load run deposit, check {1000 + b}",
                by=clerk,
            )
        for user in (manager, colleague):
            accounts.append(
                {
                    "username": user.username,
                    "password": password,
                    "business": contractor.business_name,
                    "contractor_id": contractor.pk,
                    "account_id": account.pk,
                    "permits": mine,
                }
            )
    return {"accounts": accounts, "public": public_samples()}


def make_user(user_model, username: str, hashed: str):
    user = user_model.objects.create(
        username=username,
        email=f"{username}@load.example",
        first_name="Load",
        last_name=username,
        password=hashed,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def public_samples(size: int = 400) -> dict[str, list[str]]:
    """What visitors search for: numbers and addresses of permits drawn from the whole city,
    and active licenses that hold a few permits (their CSV is small)."""
    rng = random.Random(SEED)
    top = Permit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = rng.sample(range(1, top + 1), min(size, top))
    permits = list(
        Permit.objects.filter(pk__in=ids).values_list("number", "street_number", "street_name")
    )
    addresses = []
    for _, street_number, street_name in permits:
        # A whole address, or the street alone, as people type them.
        addresses.append(f"{street_number} {street_name}" if rng.random() < 0.6 else street_name)
    license_ids = rng.sample(range(2, 2 + size * 4), size)
    licenses = list(
        PermitLicense.objects.filter(
            license_id__in=license_ids, license__status=LicenseStatus.ACTIVE
        )
        .values_list("license__number", flat=True)
        .distinct()
    )
    return {
        "permit_numbers": sorted(number for number, _, _ in permits),
        "addresses": sorted(set(addresses)),
        "licenses": sorted(licenses),
    }
