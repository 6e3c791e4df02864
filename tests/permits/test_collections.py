import pytest
from django.urls import reverse

from permits.models import Collection, CollectionItem
from tests.factories import LicenseFactory, PermitFactory, UserFactory, contractor_user

pytestmark = pytest.mark.django_db

ADD = reverse("permits:collection_add")


@pytest.fixture
def owner(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def permits():
    return [PermitFactory() for _ in range(4)]


def make(owner, name, permits=()):
    collection = Collection.objects.create(owner=owner, name=name)
    for permit in permits:
        CollectionItem.objects.create(collection=collection, permit=permit)
    return collection


def contents(collection):
    return set(collection.items.values_list("permit_id", flat=True))


def test_add_to_a_new_collection_by_name(client, owner, permits):
    chooser = client.post(ADD, {"permit": [permits[0].pk, permits[1].pk]})
    assert chooser.status_code == 200
    assert "2 permits selected" in chooser.text
    response = client.post(
        ADD,
        {"permit": [permits[0].pk, permits[1].pk], "new_name": "Oak St job", "add": "1"},
        follow=True,
    )
    collection = Collection.objects.get(owner=owner, name="Oak St job")
    assert contents(collection) == {permits[0].pk, permits[1].pk}
    assert "2 permits added to “Oak St job”" in response.text


def test_add_to_an_existing_collection_and_twice_is_a_no_op(client, owner, permits):
    collection = make(owner, "Jobs", [permits[0]])
    response = client.post(
        ADD,
        {"permit": [permits[0].pk, permits[2].pk], "collection": collection.pk, "add": "1"},
        follow=True,
    )
    assert contents(collection) == {permits[0].pk, permits[2].pk}
    assert "1 permit added" in response.text and "1 already in it" in response.text
    assert CollectionItem.objects.filter(collection=collection, permit=permits[0]).count() == 1


def test_an_empty_selection_gets_a_message(client, owner):
    response = client.post(ADD, {"next": reverse("permits:my_records")}, follow=True)
    assert "Select at least one permit" in response.text


def test_choosing_nothing_or_both_gets_a_message(client, owner, permits):
    collection = make(owner, "Jobs")
    nothing = client.post(ADD, {"permit": [permits[0].pk], "add": "1"})
    assert "Choose a collection, or give a name" in nothing.text
    both = client.post(
        ADD, {"permit": [permits[0].pk], "collection": collection.pk, "new_name": "x", "add": "1"}
    )
    assert "not both" in both.text


def test_names_are_unique_per_user_whatever_the_case(client, owner, permits):
    make(owner, "Jobs")
    response = client.post(ADD, {"permit": [permits[0].pk], "new_name": " JOBS ", "add": "1"})
    assert "already have a collection named" in response.text
    assert Collection.objects.filter(owner=owner).count() == 1
    # Another user may use the same name.
    make(UserFactory(), "Jobs")


def test_the_database_refuses_a_duplicate_name():
    from django.db import IntegrityError

    owner = UserFactory()
    make(owner, "Jobs")
    with pytest.raises(IntegrityError):
        make(owner, "jobs")


def test_the_collections_page_lists_name_count_and_delete(client, owner, permits):
    make(owner, "Jobs", permits[:3])
    make(owner, "Empty")
    text = client.get(reverse("permits:collections")).text
    assert "Jobs" in text and "Empty" in text
    assert ">3<" in text.replace(" ", "")
    assert "Delete" in text
    assert "Collections (2)" in text


def test_open_remove_move_and_copy(client, owner, permits):
    jobs = make(owner, "Jobs", permits[:3])
    other = make(owner, "Other")
    url = reverse("permits:collection_items", args=[jobs.pk])
    page = client.get(reverse("permits:collection", args=[jobs.pk]))
    assert all(permit.number in page.text for permit in permits[:3])
    assert "Move to..." in page.text and "Copy to..." in page.text
    client.post(url, {"action": "remove", "permit": [permits[0].pk]})
    assert contents(jobs) == {permits[1].pk, permits[2].pk}
    client.post(url, {"action": "move", "permit": [permits[1].pk], "target": other.pk})
    assert contents(jobs) == {permits[2].pk} and contents(other) == {permits[1].pk}
    client.post(url, {"action": "copy", "permit": [permits[2].pk], "target": other.pk})
    assert contents(jobs) == {permits[2].pk} and contents(other) == {permits[1].pk, permits[2].pk}


def test_actions_without_a_selection_get_a_message(client, owner, permits):
    jobs = make(owner, "Jobs", permits[:1])
    response = client.post(
        reverse("permits:collection_items", args=[jobs.pk]), {"action": "remove"}, follow=True
    )
    assert "Select at least one permit first" in response.text
    assert contents(jobs) == {permits[0].pk}


def test_rename_and_delete(client, owner, permits):
    jobs = make(owner, "Jobs", permits[:2])
    make(owner, "Taken")
    client.post(reverse("permits:collection_rename", args=[jobs.pk]), {"name": "Oak St"})
    jobs.refresh_from_db()
    assert jobs.name == "Oak St"
    clash = client.post(
        reverse("permits:collection_rename", args=[jobs.pk]), {"name": "taken"}, follow=True
    )
    assert "already have a collection named" in clash.text
    page = client.get(reverse("permits:collection", args=[jobs.pk]))
    assert "data-confirm=" in page.text  # delete asks first
    client.post(reverse("permits:collection_delete", args=[jobs.pk]))
    assert not Collection.objects.filter(pk=jobs.pk).exists()
    assert all(type(permit).objects.filter(pk=permit.pk).exists() for permit in permits[:2])


def test_someone_elses_collection_is_a_404(client, owner, permits):
    theirs = make(UserFactory(), "Theirs", permits[:1])
    mine = make(owner, "Mine")
    assert client.get(reverse("permits:collection", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("permits:collection_rename", args=[theirs.pk]), {"name": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("permits:collection_delete", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("permits:collection_items", args=[theirs.pk]),
            {"action": "remove", "permit": [permits[0].pk]},
        ).status_code
        == 404
    )
    assert (
        client.post(
            ADD, {"permit": [permits[1].pk], "collection": theirs.pk, "add": "1"}
        ).status_code
        == 200
    )
    assert contents(theirs) == {permits[0].pk}
    # Moving into someone else's collection is refused too.
    make_item = CollectionItem.objects.create(collection=mine, permit=permits[2])
    response = client.post(
        reverse("permits:collection_items", args=[mine.pk]),
        {"action": "move", "permit": [permits[2].pk], "target": theirs.pk},
        follow=True,
    )
    assert "Choose one of your own collections" in response.text
    assert contents(theirs) == {permits[0].pk} and make_item.pk


def test_a_permit_i_lost_access_to_stays_shown_as_public(client, permits):
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    user = contractor_user(license)
    client.force_login(user)
    collection = make(user, "Jobs", [permit])
    assert "Mine" in client.get(reverse("permits:collection", args=[collection.pk])).text
    user.license_links.update(status="removed")
    page = client.get(reverse("permits:collection", args=[collection.pk]))
    assert permit.number in page.text and ">Mine<" not in page.text
    detail = client.get(reverse("permits:detail", args=[permit.number]))
    assert detail.templates[0].name == "permits/detail.html"


def test_search_results_and_my_records_have_checkboxes_for_collections(client, permits):
    license = LicenseFactory()
    PermitFactory(licenses=[license])
    client.force_login(contractor_user(license))
    search = client.get(reverse("permits:search"), {"permit_number": "RES"})
    records = client.get(reverse("permits:my_records"))
    for page in (search, records):
        assert 'name="permit"' in page.text and "Add to Collection" in page.text
    assert (
        "Add to Collection"
        not in client.__class__().get(reverse("permits:search"), {"permit_number": "RES"}).text
    )


def test_collection_forms_need_csrf(permits):
    from django.test import Client

    user = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert (
        strict.post(ADD, {"permit": [permits[0].pk], "new_name": "x", "add": "1"}).status_code
        == 403
    )
    assert not Collection.objects.exists()


# Issue 13, requirement 7: what the README promises ------------------------------------------


def csv_rows(response) -> list[list[str]]:
    import csv

    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(text.splitlines()))


def test_a_collection_shows_its_fees_due_and_downloads_as_csv(client, owner, permits):
    from decimal import Decimal

    from permits.models import FeeStatus
    from tests.factories import FeeFactory, set_status

    collection = make(owner, "Oak St jobs", permits[:2])
    FeeFactory(permit=permits[0], amount=Decimal("1200.00"))
    FeeFactory(permit=permits[1], amount=Decimal("25.81"))
    set_status(FeeFactory(permit=permits[1], amount=Decimal("999.00")), FeeStatus.PAID)
    FeeFactory(permit=permits[2], amount=Decimal("50.00"))  # not in the collection
    page = client.get(reverse("permits:collection", args=[collection.pk]))
    assert 'Fees due: <span data-testid="collection-fees-due">$1,225.81</span>' in page.text
    url = reverse("permits:collection_csv", args=[collection.pk])
    assert url in page.text
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][0] == "Permit Number"
    assert sorted(row[0] for row in rows[1:]) == sorted(p.number for p in permits[:2])


def test_someone_elses_collection_csv_is_a_404(client, owner, permits):
    collection = make(UserFactory(), "Theirs", permits[:1])
    assert client.get(reverse("permits:collection_csv", args=[collection.pk])).status_code == 404


def test_my_records_download_as_csv(client):
    license = LicenseFactory()
    mine = [PermitFactory(licenses=[license]) for _ in range(3)]
    PermitFactory()  # someone else's
    url = reverse("permits:my_records_csv")
    assert client.get(url).status_code == 302  # signed in only
    client.force_login(contractor_user(license))
    assert url in client.get(reverse("permits:my_records")).text
    rows = csv_rows(client.get(url))
    assert sorted(row[0] for row in rows[1:]) == sorted(p.number for p in mine)
    # With the page's filter, the CSV is the page's list.
    from decimal import Decimal

    from tests.factories import FeeFactory

    FeeFactory(permit=mine[0], amount=Decimal("12.00"))
    page = client.get(reverse("permits:my_records"), {"fees_due": "1"})
    assert f"{url}?fees_due=1" in page.text
    rows = csv_rows(client.get(url, {"fees_due": "1"}))
    assert [row[0] for row in rows[1:]] == [mine[0].number]


def test_the_permit_page_adds_the_permit_to_a_collection(client, owner, permits):
    permit = permits[0]
    page = client.get(reverse("permits:detail", args=[permit.number]))
    assert "Add to Collection" in page.text
    response = client.post(
        reverse("permits:collection_add"),
        {"permit": permit.pk, "add": "1", "new_name": "Watching"},
        follow=True,
    )
    collection = Collection.objects.get(owner=owner, name="Watching")
    assert contents(collection) == {permit.pk}
    assert "1 permit added" in response.text
    client.logout()
    assert (
        "Add to Collection" not in client.get(reverse("permits:detail", args=[permit.number])).text
    )


def test_every_collection_service_refuses_someone_elses_collection():
    """The services ask the policy themselves (can_use_collection), whoever calls them: a view
    that forgot to check would still change nothing of another user's."""
    from permits.exceptions import PermitError
    from permits.models import Collection, CollectionItem
    from permits.services import (
        NOT_YOUR_COLLECTION,
        collection_add_permits,
        collection_create,
        collection_delete,
        collection_move_permits,
        collection_remove_permits,
        collection_rename,
    )
    from tests.factories import PermitFactory, UserFactory

    owner, other = UserFactory(), UserFactory()
    permit = PermitFactory()
    theirs = collection_create(owner=owner, name="Theirs")
    mine = collection_create(owner=other, name="Mine")
    collection_add_permits(collection=theirs, permit_ids=[permit.pk], by=owner)
    attempts = [
        lambda: collection_add_permits(collection=theirs, permit_ids=[permit.pk], by=other),
        lambda: collection_remove_permits(collection=theirs, permit_ids=[permit.pk], by=other),
        lambda: collection_rename(collection=theirs, name="Taken over", by=other),
        lambda: collection_delete(collection=theirs, by=other),
        lambda: collection_move_permits(
            source=theirs, target=mine, permit_ids=[permit.pk], by=other
        ),
        lambda: collection_move_permits(
            source=mine, target=theirs, permit_ids=[permit.pk], by=other
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermitError, match=NOT_YOUR_COLLECTION):
            attempt()
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert list(CollectionItem.objects.values_list("collection_id", flat=True)) == [theirs.pk]
    collection_delete(collection=mine, by=other)
    assert list(Collection.objects.all()) == [theirs]
