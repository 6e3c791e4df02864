"""The online application at city scale (bench/run.py): the wizard's pages, Submit, and the
permit number scheme under 20 submits at once, on the 1,000,000-permit database.

The bench contractor applies for a Residential Building permit on the demo city's form
(bench/generate.py publishes it). Everything made here (applications, the permits they became,
their documents, the outbox rows and queued emails) is removed at the end and the number
sequence is put back, so that the city stays at the size the other pages are measured at."""

import datetime
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

SUBMIT_TARGET_MS = 150
PAGE_TARGET_MS = 50
STEPS = ("type", "location", "people", "details", "documents", "fees", "review")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = {
    "work_type": "Addition",
    "description": "Two-story rear addition: family room and a bedroom above",
    "valuation": "185000.00",
    "floor_area": "640",
    "stories": "2",
    "new_service": "Yes",
    "service_amps": "200",
    "plumbing_fixtures": "6",
    "hvac": "No",
    "footprint": "Yes",
    "lot_coverage": "35",
    "start_date": "2027-03-01",
}


@dataclass
class Before:
    """What the database held before the benchmark applied: put back afterwards."""

    highest_permit_id: int
    sequences: dict[tuple[str, int], int]
    started_at: datetime.datetime
    applications: set[int] = field(default_factory=set)


def prepare():
    """The bench user, the form, and a draft with every step done (its pages are timed)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max
    from django.utils import timezone
    from generate import setup_bench_applications

    from applications.models import Application
    from permits.models import Permit, PermitNumberSequence

    setup_bench_applications()
    user = get_user_model().objects.get(username="bench")
    before = Before(
        highest_permit_id=Permit.objects.aggregate(top=Max("id"))["top"] or 0,
        sequences={(row.prefix, row.year): row.last for row in PermitNumberSequence.objects.all()},
        started_at=timezone.now(),
        # The bench user's own (the city's history has no applicant: bench/generate.py).
        applications=set(Application.objects.filter(applicant=user).values_list("id", flat=True)),
    )
    return user, before, complete_drafts(user, 1)[0]


def complete_drafts(user, count: int) -> list:
    """`count` drafts ready to submit, made as an applicant makes them (the services the
    wizard's steps call), from the first one's answers by "Copy to a new application"."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications import services
    from applications.selectors import open_template_for, template_parts
    from licenses.models import License

    template = open_template_for("RES")
    requirements = [r for r in template_parts(template).documents if r.needed_to_submit]
    license_ = License.objects.get(pk=1)
    first = services.application_start(template=template, applicant=user)
    services.application_save_location(
        application=first,
        by=user,
        values={
            "street_number": "1748",
            "street_name": "S 6th St",
            "city": "Springfield",
            "state": "IL",
            "zip_code": "62704",
            "parcel_number": "14-26.0-168-084",
        },
    )
    services.application_save_people(
        application=first,
        by=user,
        license_id=license_.pk,
        owner_name="Jordan Baker",
        owner_email="jordan.baker@mail.example",
    )
    services.application_save_answers(application=first, by=user, answers=ANSWERS)
    drafts = [first]
    while len(drafts) < count:
        drafts.append(services.application_copy(application=first, by=user))
    for draft in drafts:
        for requirement in requirements:
            upload = SimpleUploadedFile(f"{requirement.name}.pdf", PDF, "application/pdf")
            services.application_document_upload(
                application=draft, requirement_id=requirement.pk, upload=upload, by=user
            )
        services.application_attest(application=draft, by=user, name="Bench Builder")
    return drafts


def wizard_pages(draft, streets: list[str], count: int) -> dict[str, list]:
    """Each page of applying, as the applicant asks for it: GET a URL (200), or POST a step
    (a 302 to the next one). The address suggestions are asked with the first characters
    of the city's streets, as they are typed."""
    reference = draft.reference
    step = f"/applications/{reference}/"
    pages: dict[str, list] = {
        "apply: guide": ["/apply/"] * count,
        "apply: fee estimator": [
            "/apply/RES/?"
            + urlencode({"q_valuation": 50_000 + 997 * n, "q_plumbing_fixtures": n % 9})
            for n in range(count)
        ],
        "apply: my applications": ["/applications/"] * count,
        "apply: address suggestions": [
            "/applications/addresses/?" + urlencode({"q": streets[n % len(streets)][: 4 + n % 6]})
            for n in range(count)
        ],
    }
    for slug in STEPS:
        pages[f"apply: step {slug}"] = [f"{step}{slug}/"] * count
    details = {f"q_{key}": value for key, value in ANSWERS.items()} | {"action": "continue"}
    pages["apply: save details"] = [(f"{step}details/", details, 302)] * count
    return pages


def measure_submits(client, drafts: list, percentile, warm: int = 3) -> dict:
    """Sign and submit, through the Review page, each draft once: the permit number, the permit,
    the snapshot, the fee estimate, the outbox rows for the emails, published to Redis."""
    from django.db import connection

    times, counts = [], set()
    executed = [0]

    def count(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    for index, draft in enumerate(drafts):
        data = {"agree": "on", "attestation": "Bench Builder", "action": "continue"}
        executed[0] = 0
        start = time.perf_counter()
        with connection.execute_wrapper(count):
            response = client.post(f"/applications/{draft.reference}/review/", data)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 302 or "/review/" in response["Location"]:
            raise SystemExit(f"apply: submit of {draft.reference} answered {response.status_code}")
        if index >= warm:
            times.append(elapsed)
            counts.add(executed[0])
    result = {
        "page": "apply: submit",
        "requests": len(times),
        "mean_ms": round(statistics.mean(times), 2),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": sorted(counts),
        "target_p95_ms": SUBMIT_TARGET_MS,
    }
    result["met"] = result["p95_ms"] <= SUBMIT_TARGET_MS
    return result


def submits_at_once(user, count: int = 20) -> dict:
    """`count` applicants press Submit at the same moment (threads, each with its own
    database connection, released together by a barrier): their permit numbers must be
    `count` consecutive numbers of the scheme, none twice, none skipped."""
    from django.db import connection

    from applications import services
    from applications.models import Application

    drafts = complete_drafts(user, count)
    barrier = threading.Barrier(count)
    results: list = [None] * count
    times: list = [0.0] * count

    def submit(index: int) -> None:
        try:
            application = Application.objects.get(pk=drafts[index].pk)
            barrier.wait()
            start = time.perf_counter()
            services.application_submit(application=application, by=user)
            times[index] = (time.perf_counter() - start) * 1000
            application.refresh_from_db()
            results[index] = application.permit.number
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(result for result in results if isinstance(result, str))
    errors = [repr(result) for result in results if not isinstance(result, str)]
    tails = [int(number.rsplit("-", 1)[1]) for number in numbers]
    consecutive = bool(tails) and tails == list(range(tails[0], tails[0] + len(tails)))
    result = {
        "submits": count,
        "numbers": [numbers[0], numbers[-1]] if numbers else [],
        "distinct": len(set(numbers)),
        "consecutive": consecutive,
        "errors": errors,
        "slowest_ms": round(max(times), 1),
        "mean_ms": round(statistics.mean(times), 1),
    }
    result["met"] = not errors and len(set(numbers)) == count and consecutive
    for error in errors[:3]:
        print(f"    error: {error}", flush=True)
    print(
        f"    {count} submits at once: {result['numbers'][0] if numbers else '-'} to "
        f"{result['numbers'][-1] if numbers else '-'}, {result['distinct']} distinct, "
        f"{'consecutive' if consecutive else 'NOT consecutive'}, slowest {result['slowest_ms']} "
        f"ms (each waits for the one before: the number is taken under a row lock)",
        flush=True,
    )
    return result


def clean_up(user, before: Before, broker_url: str) -> None:
    """Remove what applying made: the city is 1,000,000 permits again, and the emails it
    queued (no worker runs during the benchmark) are dropped from the broker."""
    import redis
    from django.db import transaction

    from applications.models import Application, Submission
    from core.models import OutboxTask
    from permits.models import Fee, Permit, PermitNumberSequence
    from reviews.models import Review, ReviewComment, ReviewCondition, ReviewCycle

    with transaction.atomic():
        made = Application.objects.filter(applicant=user).exclude(pk__in=before.applications)
        for application in made.prefetch_related("documents"):
            for document in application.documents.all():
                document.file.delete(save=False)
        ReviewComment.objects.filter(review__cycle__application__in=made).delete()
        ReviewCondition.objects.filter(review__cycle__application__in=made).delete()
        Review.objects.filter(cycle__application__in=made).delete()
        ReviewCycle.objects.filter(application__in=made).delete()
        Submission.objects.filter(application__in=made).delete()
        made.delete()
        Fee.objects.filter(permit_id__gt=before.highest_permit_id).delete()
        Permit.objects.filter(pk__gt=before.highest_permit_id).delete()
        for sequence in PermitNumberSequence.objects.all():
            key = (sequence.prefix, sequence.year)
            if key in before.sequences:
                sequence.last = before.sequences[key]
                sequence.save(update_fields=["last"])
            else:
                sequence.delete()
        OutboxTask.objects.filter(created_at__gte=before.started_at).delete()
    redis.Redis.from_url(broker_url).flushdb()


# Plan review (issue 15): the reviewer's queue and review page, the applicant's Reviews tab --------


def review_setup(applicant, queue: int = 150) -> dict:
    """Residential Building reviewed by Building and Zoning; `queue` applications accepted, so
    the bench reviewer (Building's only reviewer) has that many open reviews; one application
    through three cycles (corrections asked and answered twice), for the Reviews tab."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from applications import services
    from permits.models import PermitType
    from reviews import services as review_services
    from reviews.models import Review, ReviewComment, ReviewDiscipline, ReviewStatus

    users = get_user_model().objects
    clerk = users.get(username="bench-clerk")
    staff = {}
    for position, name in enumerate(("Building", "Zoning"), start=1):
        group, _ = Group.objects.get_or_create(name=f"Bench {name} reviewers")
        discipline, _ = ReviewDiscipline.objects.get_or_create(
            name=name, defaults={"group": group, "target_days": 10, "position": position}
        )
        discipline.permit_types.add(PermitType.objects.get(code="RES"))
        user, _ = users.get_or_create(
            username=f"bench-{name.lower()}",
            defaults={"is_staff": True, "is_superuser": True, "first_name": name},
        )
        user.groups.add(group)
        staff[name] = user
    drafts = complete_drafts(applicant, queue + 1)
    for draft in drafts:
        services.application_submit(application=draft, by=applicant)
        services.application_accept(application=draft, by=clerk)
    followed = drafts[-1]
    for cycle in range(3):
        reviews = {
            r.discipline.name: r
            for r in Review.objects.filter(
                cycle__application=followed, status__in=("pending", "in_progress")
            ).select_related("discipline")
        }
        if "Building" in reviews:
            review_services.review_decide(
                review=reviews["Building"], decision=ReviewStatus.APPROVED, by=staff["Building"]
            )
        if cycle == 2:
            break
        items = [
            ReviewComment.objects.create(
                review=reviews["Zoning"], reference=f"Sheet A-{n}", text=f"Correction {n}"
            )
            for n in range(1, 4)
        ]
        review_services.review_decide(
            review=reviews["Zoning"],
            decision=ReviewStatus.CORRECTIONS_REQUIRED,
            by=staff["Zoning"],
        )
        for item in items:
            review_services.correction_respond(comment=item, by=applicant, response="Done")
        review_services.corrections_resubmit(application=followed, by=applicant)
    followed.refresh_from_db()
    queue_review = Review.objects.filter(reviewer=staff["Building"], status="pending").first()
    return {"reviewer": staff["Building"], "permit": followed.permit, "review": queue_review}


def review_pages(setup: dict, count: int) -> dict[str, list]:
    number = setup["permit"].number
    return {
        "review: my reviews (reviewer's queue)": ["/admin/reviews/myreview/"] * count,
        "review: a review's page": [f"/admin/reviews/myreview/{setup['review'].pk}/change/"]
        * count,
        "review: permit's Reviews tab (3 cycles)": [f"/permits/{number}/reviews/"] * count,
    }
