"""Notifications at city scale (issue 24, requirement 11), on the benchmark's database:

    python bench/notifying.py [--database-url postgres://...] [--users 100000] [--moves 200]

1. A status change on a permit with 30 parties: what it adds to its request (the move, its event
   and the outbox rows of its subscribers; the telling runs after the commit, in a worker), p50
   and p95 over --moves moves, each rolled back, with its query count, beside the same move on a
   permit with one party.
2. The daily digest for --users users: each with a notice gathered in an open digest message,
   sent by the beat's job (`send_due_messages`) in a process of its own, with Django's dummy
   email backend (what a provider costs is not ours): its time and peak memory.

Everything made is removed at the end. Writes bench/notifying.json and prints the numbers."""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from run import DEFAULT_URL, percentile, setup_django  # noqa: E402

RESULTS = REPO / "bench" / "notifying.json"
DIGEST_TARGET_SECONDS = 600
PREFIX = "bench-notify-"


def status_change(moves: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from permits.models import Permit, PermitContact, PermitStatus
    from permits.parties import parties_of

    users = get_user_model().objects
    crowded, lonely = Permit.objects.filter(status=PermitStatus.ISSUED).order_by("pk")[:2]
    contacts = users.bulk_create(
        [
            users.model(username=f"{PREFIX}contact-{n}", email=f"{PREFIX}contact-{n}@example.com")
            for n in range(30)
        ]
    )
    PermitContact.objects.bulk_create(
        [PermitContact(permit=crowded, user=user, contact_type="contact") for user in contacts]
    )
    result = {}
    for name, permit in (("with 30 contacts", crowded), ("without parties", lonely)):
        parties = len(parties_of(permit))
        times, queries = [], []
        for _ in range(moves):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                with transaction.atomic():
                    Permit.objects.get(pk=permit.pk).move_to(
                        PermitStatus.FINALED, by=None, note="Final passed"
                    )
                    transaction.set_rollback(True)
                times.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
        result[name] = {
            "parties": parties,
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "queries": max(queries),
        }
    PermitContact.objects.filter(user__in=contacts).delete()
    users.filter(username__startswith=f"{PREFIX}contact-").delete()
    return result


def digest_setup(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from core.models import Event
    from notifications.models import Message, Notice
    from permits.models import Permit

    users = get_user_model().objects
    permit = Permit.objects.order_by("pk").first()
    event = Event.objects.create(
        type="permit.expired",
        content_type=ContentType.objects.get_for_model(Permit),
        object_id=permit.pk,
        payload={"bench": True},
    )
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        made = users.bulk_create(
            [
                users.model(username=f"{PREFIX}{n}", email=f"{PREFIX}{n}@example.com")
                for n in range(start, min(count, start + batch))
            ]
        )
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    event=event,
                    recipient=f"user:{user.pk}",
                    user=user,
                    email=user.email,
                    permit=permit,
                    group="permits",
                    subject=f"Permit {permit.number} expired",
                    text="Permit expired: work under it must stop until it is renewed.\n",
                    html="<p>Permit expired.</p>",
                    link=f"/permits/{permit.number}/",
                    in_portal=True,
                )
                for user in made
            ]
        )
        messages = Message.objects.bulk_create(
            [
                Message(
                    channel="email",
                    recipient=notice.recipient,
                    user_id=notice.user_id,
                    address=notice.email,
                    key="digest",
                    group="permits",
                    send_after=now,
                )
                for notice in notices
            ]
        )
        Message.notices.through.objects.bulk_create(
            [
                Message.notices.through(message_id=message.pk, notice_id=notice.pk)
                for message, notice in zip(messages, notices, strict=True)
            ]
        )


def digest_send() -> None:
    """In its own process: the beat's job, timed, with its peak memory."""
    from notifications.sending import send_due_messages

    started = time.perf_counter()
    sent = send_due_messages()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"sent": sent, "seconds": round(seconds, 1), "peak_mb": round(peak_mb)}))


def digest_cleanup() -> None:
    from django.contrib.auth import get_user_model

    from core.models import Event
    from notifications.models import Message, Notice

    users = get_user_model().objects.filter(username__startswith=PREFIX)
    Message.objects.filter(user__in=users).delete()
    Notice.objects.filter(user__in=users).delete()
    Event.objects.filter(payload__bench=True).delete()
    users.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--digest-send", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="run, judge nothing, keep no results")
    args = parser.parse_args()
    os.environ["EMAIL_URL"] = "dummymail://"
    setup_django(args.database_url)
    if args.digest_send:
        digest_send()
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a city generated before the latest migrations
    digest_cleanup()
    results = {"status change": status_change(args.moves)}
    started = time.perf_counter()
    digest_setup(args.users)
    setup_seconds = time.perf_counter() - started
    out = subprocess.run(
        [sys.executable, __file__, "--digest-send", "--database-url", args.database_url],
        check=True,
        capture_output=True,
        text=True,
    )
    digest = json.loads(out.stdout.strip().splitlines()[-1])
    digest |= {
        "users": args.users,
        "setup_seconds": round(setup_seconds, 1),
        "target_seconds": DIGEST_TARGET_SECONDS,
    }
    results["daily digest"] = digest
    digest_cleanup()
    if not args.smoke:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, row in results["status change"].items():
        print(
            f"status change, {name} ({row['parties']}): p50 {row['p50_ms']} ms, "
            f"p95 {row['p95_ms']} ms, {row['queries']} queries"
        )
    print(
        f"daily digest: {digest['sent']} of {args.users} users in {digest['seconds']} s "
        f"(target {DIGEST_TARGET_SECONDS}), peak {digest['peak_mb']} MB"
    )


if __name__ == "__main__":
    main()
