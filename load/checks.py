"""After the load: is every payment balanced against the ledger?

Read only, from the database itself (not from what the portal showed during the run):

- every trust payment has exactly the ledger entries its status calls for: one debit of its
  total on its own account once paid (and one credit of it once refunded), none while it is
  not paid; no payment or refund entry is without its trust payment;
- every trust account's balance (what the portal shows, `trust_balance`) equals the sum of its
  ledger, and equals its deposits and adjustments less the trust payments paid from it (plus
  refunds); its running balance, in the order the entries were written, never fell below zero;
- no fee was paid twice: no fee is in two paid payments, each fee paid through a payment has
  exactly one live payment line, on a paid payment, at the fee's amount; each paid payment's
  fees add up to its fees total.

`ledger_check()` returns the problems found (empty when all is well) and what it counted.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from payments.models import (
    EntryKind,
    Payment,
    PaymentLine,
    PaymentMethod,
    PaymentStatus,
    TrustAccount,
    TrustEntry,
)
from payments.selectors import trust_balance
from permits.models import Fee, FeeStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PAID = (PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED)


@dataclass
class LedgerCheck:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int | str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_check() -> LedgerCheck:
    check = LedgerCheck()
    check_trust_payments(check)
    check_accounts(check)
    check_fees(check)
    return check


def check_trust_payments(check: LedgerCheck) -> None:
    entries: dict[int, list[TrustEntry]] = defaultdict(list)
    for entry in TrustEntry.objects.filter(kind__in=[EntryKind.PAYMENT, EntryKind.REFUND]):
        if entry.payment_id is None:
            check.problems.append(f"trust entry {entry.pk} ({entry.kind}) names no payment")
            continue
        entries[entry.payment_id].append(entry)
    payments = Payment.objects.filter(Q(method=PaymentMethod.TRUST) | Q(pk__in=list(entries)))
    statuses: Counter = Counter()
    for payment in payments:
        statuses[payment.status] += 1
        mine = entries.pop(payment.pk, [])
        if payment.method != PaymentMethod.TRUST:
            check.problems.append(f"payment {payment.pk} ({payment.method}) has trust entries")
            continue
        debits = [e for e in mine if e.kind == EntryKind.PAYMENT]
        credits = [e for e in mine if e.kind == EntryKind.REFUND]
        want_debits = 1 if payment.status in PAID else 0
        want_credits = 1 if payment.status == PaymentStatus.REFUNDED else 0
        if len(debits) != want_debits or len(credits) != want_credits:
            check.problems.append(
                f"trust payment {payment.pk} ({payment.status}) has {len(debits)} debit(s) and "
                f"{len(credits)} refund(s) in the ledger; it should have {want_debits} and "
                f"{want_credits}"
            )
        for entry in debits + credits:
            expected = -payment.total if entry.kind == EntryKind.PAYMENT else payment.total
            if entry.amount != expected or entry.account_id != payment.trust_account_id:
                check.problems.append(
                    f"trust payment {payment.pk}: its {entry.kind} entry {entry.pk} is "
                    f"{entry.amount} on account {entry.account_id}, not {expected} on account "
                    f"{payment.trust_account_id}"
                )
    check.counts["trust payments paid"] = statuses[PaymentStatus.CONFIRMED]
    check.counts["trust payments refunded"] = statuses[PaymentStatus.REFUNDED]
    check.counts["trust payments not paid"] = sum(
        n for status, n in statuses.items() if status not in PAID
    )


# The running balance of every account, entry by entry in the order they were written (the id:
# a debit allocates its id under the account's row lock), and its lowest point.
RUNNING_SQL = """
SELECT account_id, MIN(running), SUM(amount)
  FROM (SELECT account_id, amount,
               SUM(amount) OVER (PARTITION BY account_id ORDER BY id) AS running
          FROM payments_trustentry) AS ledger
 GROUP BY account_id
"""


def check_accounts(check: LedgerCheck) -> None:
    with connection.cursor() as cursor:
        cursor.execute(RUNNING_SQL)
        ledger = {account_id: (low, total) for account_id, low, total in cursor.fetchall()}
    staff_entries = dict(
        TrustEntry.objects.filter(kind__in=[EntryKind.DEPOSIT, EntryKind.ADJUSTMENT])
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    paid_out = dict(
        Payment.objects.filter(method=PaymentMethod.TRUST, status=PaymentStatus.CONFIRMED)
        .values("trust_account_id")
        .annotate(total=Sum("total"))
        .values_list("trust_account_id", "total")
    )
    accounts = 0
    for account in TrustAccount.objects.all():
        accounts += 1
        low, total = ledger.get(account.pk, (ZERO, ZERO))
        # SQLite's window sums come back unscaled (-50 for -50.00).
        low, total = Decimal(low).quantize(CENT), Decimal(total).quantize(CENT)
        balance = trust_balance(account)
        # Refunded payments are netted out: their debit and their refund credit cancel.
        expected = staff_entries.get(account.pk, ZERO) - paid_out.get(account.pk, ZERO)
        if not balance == total == expected:
            check.problems.append(
                f"trust account {account.pk}: balance {balance}, ledger sum {total}, deposits "
                f"and adjustments less paid trust payments {expected}"
            )
        if low < 0:
            check.problems.append(f"trust account {account.pk} went down to {low}")
    check.counts["trust accounts"] = accounts


def check_fees(check: LedgerCheck) -> None:
    twice = (
        PaymentLine.objects.filter(payment__status=PaymentStatus.CONFIRMED)
        .values("fee_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in twice:
        check.problems.append(f"fee {row['fee_id']} is in {row['n']} paid payments")

    live: dict[int, list[PaymentLine]] = defaultdict(list)
    for line in PaymentLine.objects.filter(live=True).select_related("payment", "fee"):
        live[line.fee_id].append(line)
    through_payments = set(PaymentLine.objects.values_list("fee_id", flat=True).distinct()) | set(
        live
    )
    paid_fees = Fee.objects.filter(pk__in=through_payments, status=FeeStatus.PAID)
    paid = 0
    for fee in paid_fees:
        paid += 1
        lines = live.get(fee.pk, [])
        if len(lines) != 1 or lines[0].payment.status != PaymentStatus.CONFIRMED:
            check.problems.append(
                f"paid fee {fee.pk} has {len(lines)} live payment line(s)"
                + (f" (payment {lines[0].payment_id} {lines[0].payment.status})" if lines else "")
            )
        elif lines[0].amount != fee.amount:
            check.problems.append(
                f"paid fee {fee.pk} is {fee.amount}; its payment line says {lines[0].amount}"
            )
    for fee_id, lines in live.items():
        for line in lines:
            if line.payment.status == PaymentStatus.CONFIRMED and line.fee.status != FeeStatus.PAID:
                check.problems.append(
                    f"fee {fee_id} is {line.fee.status} but paid by payment {line.payment_id}"
                )
    confirmed = Payment.objects.filter(status=PaymentStatus.CONFIRMED).annotate(
        lines_total=Sum("lines__amount", filter=Q(lines__live=True))
    )
    for payment in confirmed:
        if (payment.lines_total or ZERO) != payment.fees_total:
            check.problems.append(
                f"payment {payment.pk}: fees total {payment.fees_total}, its lines add up to "
                f"{payment.lines_total or ZERO}"
            )
    check.counts["fees paid through payments"] = paid
