"""The load run's pieces that can break without a load run: the URLs its Locust users request
(a renamed URL fails here, not after two minutes of load) and the ledger checks it ends with
(they must flag what they exist to find). The load itself is `make load`."""

import ast
import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from load.checks import ledger_check
from load.routes import ROUTES, match, path
from payments.models import (
    EntryKind,
    Payment,
    PaymentLine,
    PaymentMethod,
    PaymentStatus,
    TrustAccount,
    TrustEntry,
)
from payments.services.cart import cart_add_permit
from payments.services.trust import trust_pay
from permits.models import Fee, FeeStatus
from tests.factories import LicenseFactory, contractor_user
from tests.payments.conftest import fund, permit_with_fees

REPO = Path(__file__).resolve().parents[2]
LOCUSTFILE = REPO / "load" / "locustfile.py"
# A value for each placeholder the routes use, as the run fills them.
SAMPLES = {"number": "RES25-801001", "receipt_number": "T2611-000042", "contractor_id": 7}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_route_is_the_url_it_names(name):
    route = ROUTES[name]
    kwargs = {key: SAMPLES[key] for key in route.pattern.groupindex}
    assert path(name, **kwargs) == reverse(route.url_name, kwargs=kwargs or None)
    assert match(name, reverse(route.url_name, kwargs=kwargs or None)) == {
        key: str(value) for key, value in kwargs.items()
    }


def routes_named_in_locustfile() -> set[str]:
    """Every route name the locustfile passes to path(), match(), its get/post helpers and
    their `goes_to`: the names its tasks request or expect to be sent to."""
    tree = ast.parse(LOCUSTFILE.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        first = node.args[0] if node.args else None
        if not isinstance(first, ast.Constant):
            first = None
        if isinstance(func, ast.Name) and func.id in {"path", "match"} and first:
            names.add(first.value)
        on_self = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "self"
        if on_self and func.attr in {"get", "post", "get_redirect"} and first:
            names.add(first.value)
        if (
            getattr(func, "attr", "") == "spawn"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
        ):
            names.add(node.args[1].value)  # gevent.spawn(self.post, "checkout", ...)
        for keyword in node.keywords:
            if keyword.arg == "goes_to" and isinstance(keyword.value, ast.Tuple):
                names |= {item.value for item in keyword.value.elts}
    return names


def test_the_locustfile_requests_only_routes_that_exist():
    named = routes_named_in_locustfile()
    assert {"search", "permit", "login", "cart_add", "checkout", "trust"} <= named
    assert named <= set(ROUTES), f"unknown routes: {sorted(named - set(ROUTES))}"


def test_the_locustfile_writes_no_path_of_its_own():
    # A path typed into the locustfile would escape the check above ("/" alone is for
    # splitting a URL).
    tree = ast.parse(LOCUSTFILE.read_text(encoding="utf-8"))
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("/")
        and node.value != "/"
    ]
    assert literals == []


def test_the_locustfile_imports_with_its_users_and_tasks():
    # Locust patches the standard library with gevent when imported: not in this process.
    probe = (
        "import json, load.locustfile as f\n"
        "print(json.dumps({u.__name__: [t.__name__ for t in u.tasks] "
        "for u in (f.Visitor, f.Contractor)}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    users = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"search_address", "permit_detail", "search_csv"} <= set(users["Visitor"])
    assert {"dashboard", "pay_fees", "trust_ledger", "sign_out_and_in"} <= set(users["Contractor"])


# The ledger checks ------------------------------------------------------------------------------


@pytest.fixture
def paid(db):
    """A contractor who paid two fees from the business's trust account, as the portal does."""
    license = LicenseFactory()
    user = contractor_user(license, can_pay=True)
    account = fund(license, "500.00")
    permit, fees = permit_with_fees(license, "100.00", "25.50")
    cart_add_permit(user=user, permit=permit)
    payment = trust_pay(user=user, account=account, key=uuid.uuid4())
    assert payment.status == PaymentStatus.CONFIRMED
    return payment, account, fees


def test_a_balanced_ledger_passes(paid):
    check = ledger_check()
    assert check.problems == []
    assert check.counts["trust payments paid"] == 1
    assert check.counts["fees paid through payments"] == 2


def test_a_second_debit_of_a_payment_is_flagged(paid):
    payment, account, _ = paid
    TrustEntry.objects.create(
        account=account, kind=EntryKind.PAYMENT, amount=-payment.total, payment=payment
    )
    problems = ledger_check().problems
    assert f"trust payment {payment.pk} (confirmed) has 2 debit(s) and 0 refund(s)" in problems[0]
    assert any(p.startswith(f"trust account {account.pk}: balance 249.00") for p in problems)


def test_a_debit_of_the_wrong_amount_is_flagged(paid):
    payment, _, _ = paid
    # A payment whose total was changed after its debit was written.
    Payment.objects.filter(pk=payment.pk).update(
        fees_total=Decimal("120.00"), total=Decimal("120.00")
    )
    problems = ledger_check().problems
    assert any("its payment entry" in p and "not -120.00" in p for p in problems)


def test_a_balance_that_went_below_zero_is_flagged(db):
    account = TrustAccount.objects.create(contractor=LicenseFactory().holder)
    TrustEntry.objects.create(account=account, kind=EntryKind.ADJUSTMENT, amount=Decimal("-50"))
    TrustEntry.objects.create(account=account, kind=EntryKind.DEPOSIT, amount=Decimal("80"))
    assert ledger_check().problems == [f"trust account {account.pk} went down to -50.00"]


def test_a_fee_paid_twice_is_flagged(paid):
    payment, account, fees = paid
    again = Payment.objects.create(
        user=payment.user,
        method=PaymentMethod.TRUST,
        provider="trust",
        status=PaymentStatus.CONFIRMED,
        fees_total=fees[0].amount,
        total=fees[0].amount,
        trust_account=account,
    )
    PaymentLine.objects.create(payment=again, fee=fees[0], amount=fees[0].amount, live=False)
    TrustEntry.objects.create(
        account=account, kind=EntryKind.PAYMENT, amount=-again.total, payment=again
    )
    problems = ledger_check().problems
    assert f"fee {fees[0].pk} is in 2 paid payments" in problems
    assert f"payment {again.pk}: fees total 100.00, its lines add up to 0.00" in problems


def test_a_paid_fee_without_its_live_payment_line_is_flagged(paid):
    _, _, fees = paid
    PaymentLine.objects.filter(fee=fees[1]).update(live=False)
    assert f"paid fee {fees[1].pk} has 0 live payment line(s)" in ledger_check().problems


def test_a_fee_left_due_under_a_paid_payment_is_flagged(paid):
    payment, _, fees = paid
    Fee.objects.filter(pk=fees[0].pk).update(status=FeeStatus.DUE)
    assert f"fee {fees[0].pk} is due but paid by payment {payment.pk}" in ledger_check().problems
