"""docs/notifications.md prints the table of who hears what exactly as catalogue.RULES makes it
(issue 24, requirement 1: the table is in the docs and on the preferences page)."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from notifications.catalogue import RULES, SIGN_IN_EMAILS
from notifications.preferences import DOCS_END, DOCS_START, docs_with_table, who_hears_what_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def test_the_docs_hold_exactly_the_table_rules_makes():
    text = DOCS.read_text()
    table = who_hears_what_markdown()
    assert f"{DOCS_START}\n{table}{DOCS_END}" in text
    assert docs_with_table(text) == text
    call_command("notifications_docs", "--check")


def test_the_table_has_a_row_per_rule_with_its_label_roles_and_whether_it_can_be_turned_off():
    lines = who_hears_what_markdown().splitlines()[2:]
    # Each event and sign-in email, in one row each but the two trust account ones.
    assert len(lines) == len(RULES) + len(SIGN_IN_EMAILS) - 2
    receipt = next(line for line in lines if "`payment.completed`" in line)
    assert receipt.startswith(f"| {RULES['payment.completed'].label} | ")
    assert "who paid" in receipt and "No: always sent (a receipt" in receipt
    fees = next(line for line in lines if "`fee.assessed`" in line)
    assert "the business's users with the Pay role" in fees and fees.endswith("| Yes |")


def test_a_stale_table_fails_the_check(tmp_path, monkeypatch):
    from notifications.management.commands import notifications_docs

    stale = tmp_path / "notifications.md"
    stale.write_text(DOCS.read_text().replace("| Yes |", "| No |", 1))
    monkeypatch.setattr(notifications_docs, "DOCS", stale)
    with pytest.raises(CommandError):
        call_command("notifications_docs", "--check")
    call_command("notifications_docs")
    assert stale.read_text() == DOCS.read_text()
