"""Issue 23, requirement 3: each permit type names the license types that may be its license
professional; the People step offers only those and says why, the service refuses another,
submitting re-checks it, staff set them in admin, and imports and the demo city set them."""

import pytest
from django.urls import reverse

from applications import services
from applications.exceptions import ApplicationError
from applications.models import Application
from applications.selectors import application_progress, template_parts
from permits.models import PermitType
from tests.applications.conftest import fill_in
from tests.factories import LicenseFactory, LicenseTypeFactory, contractor_user

pytestmark = pytest.mark.django_db


def step_url(application, step):
    return reverse("applications:step", args=[application.reference, step])


@pytest.fixture
def residential(form):
    """Residential Building, applied for under a General or Residential license."""
    kind = form.permit_type
    kind.license_types.set(
        [
            LicenseTypeFactory(prefix="GC", name="General"),
            LicenseTypeFactory(prefix="RC", name="Residential"),
        ]
    )
    kind.name = "Residential Building"
    kind.save()
    return form


@pytest.fixture
def electrical(applicant, license_):
    """An Electrical license of the applicant's own business (where they hold Apply)."""
    return LicenseFactory(
        holder=license_.holder, license_type=LicenseTypeFactory(prefix="EC", name="Electrical")
    )


def test_the_people_step_offers_only_licenses_that_may_apply_and_says_why(
    client, residential, applicant, license_, electrical
):
    application = services.application_start(template=residential, applicant=applicant)
    client.force_login(applicant)
    page = client.get(step_url(application, "people")).text
    assert f"license {license_.number}" in page
    assert f'value="{electrical.pk}"' not in page
    assert (
        "Residential Building permits are applied for under a General or Residential license. "
        f"Not offered: {electrical.number} (Electrical)."
    ) in page


def test_a_contractor_with_only_an_electrical_license_is_told_and_cannot_apply_with_it(
    client, residential, applicant, license_
):
    license_.license_type = LicenseTypeFactory(prefix="EC", name="Electrical")
    license_.save()
    application = services.application_start(template=residential, applicant=applicant)
    client.force_login(applicant)
    page = client.get(step_url(application, "people")).text
    assert f'value="{license_.pk}"' not in page
    assert "Ask the permit office if your business should apply under another license." in page
    with pytest.raises(ApplicationError) as refused:
        services.application_save_people(
            application=application,
            by=applicant,
            license_id=license_.pk,
            owner_name="Jordan Baker",
            owner_email="",
        )
    assert str(refused.value) == (
        "Residential Building permits are applied for under a General or Residential license. "
        f"License {license_.number} is Electrical: choose another."
    )
    assert Application.objects.get().license_id is None


def test_submitting_checks_the_license_again_after_staff_narrow_the_type(
    residential, applicant, license_
):
    application = services.application_start(template=residential, applicant=applicant)
    fill_in(application, license_, by=applicant)
    parts = template_parts(residential)
    assert application_progress(application, parts, user=applicant).complete
    residential.permit_type.license_types.set([LicenseTypeFactory(prefix="GC", name="General")])
    progress = application_progress(Application.objects.get(), parts, user=applicant)
    assert [(item.step, item.text) for item in progress.missing] == [
        (
            "people",
            "Residential Building permits are applied for under a General license. "
            f"License {license_.number} is Residential: choose another.",
        )
    ]
    with pytest.raises(ApplicationError):
        services.application_submit(application=Application.objects.get(), by=applicant)


def test_a_type_that_names_no_license_types_takes_any_license(form, applicant, license_):
    assert not form.permit_type.license_types.exists()
    application = services.application_start(template=form, applicant=applicant)
    services.application_save_people(
        application=application,
        by=applicant,
        license_id=license_.pk,
        owner_name="Jordan Baker",
        owner_email="",
    )
    assert Application.objects.get().license_id == license_.pk


def test_staff_set_them_in_admin(admin_client, residential):
    kind = residential.permit_type
    page = admin_client.get(reverse("admin:permits_permittype_change", args=[kind.pk])).text
    assert 'name="license_types"' in page
    listing = admin_client.get(reverse("admin:permits_permittype_changelist")).text
    assert "General, Residential" in listing


def test_an_import_sets_them_from_history_but_never_widens_what_staff_set(tmp_path):
    from permits.importers import import_permits
    from tests.permits.test_import_permits import HEADER, write

    general = LicenseFactory(license_type=LicenseTypeFactory(prefix="GC", name="General"))
    electrical = LicenseFactory(license_type=LicenseTypeFactory(prefix="EC", name="Electrical"))
    decided = PermitType.objects.create(code="ELE", name="Electrical")
    decided.license_types.set([electrical.license_type])
    row = (
        "{number},x,2025-01-02,,,In Review,1 Elm St,,Springfield,IL,62704,{kind},,5000,,{lic},,,\n"
    )
    rows = "".join(
        row.format(number=number, kind=kind, lic=lic.number)
        for number, kind, lic in [
            ("RES25-1", "RES", general),
            ("RES25-2", "RES", electrical),
            ("ELE25-1", "ELE", general),  # a stray permit: staff decided ELE already
        ]
    )
    import_permits(write(tmp_path, rows, header=HEADER))
    learned = PermitType.objects.get(code="RES")
    assert set(learned.license_types.values_list("prefix", flat=True)) == {"GC", "EC"}
    assert list(decided.license_types.values_list("prefix", flat=True)) == ["EC"]


def test_the_demo_city_sets_them():
    from demo.seed import seed_demo_city

    seed_demo_city()
    names = {
        kind.code: sorted(kind.license_types.values_list("name", flat=True))
        for kind in PermitType.objects.all()
    }
    assert names["RES"] == ["General", "Residential"]
    assert names["ELE"] == ["Electrical"]
    assert all(names.values()), names


def test_the_type_page_says_no_license_may_apply_before_a_draft_is_started(client, form):
    """From the newcomer walk: a contractor with only General and Residential licenses was
    offered "Apply for a Mechanical permit" and learnt at the People step, after typing the
    address, that none of their licenses may apply."""
    mechanical = LicenseTypeFactory(prefix="MC", name="Mechanical")
    form.permit_type.license_types.set([mechanical])
    form.permit_type.name = "Mechanical"
    form.permit_type.save()
    general = LicenseFactory(license_type=LicenseTypeFactory(prefix="GC", name="General"))
    user = contractor_user(general, can_apply=True)
    client.force_login(user)
    code = form.permit_type.code
    page = client.get(reverse("applications:type", args=[code])).text
    assert "Apply for a Mechanical permit" not in page
    assert "Mechanical permits are applied for under a Mechanical license." in page
    assert f"Not offered: {general.number} (General)." in page

    response = client.post(reverse("applications:start", args=[code]), follow=True)
    assert "Not offered: " in response.text
    assert not Application.objects.filter(applicant=user).exists()

    # A Mechanical license of the same business: the button is back.
    LicenseFactory(holder=general.holder, license_type=mechanical)
    page = client.get(reverse("applications:type", args=[code])).text
    assert "Apply for a Mechanical permit" in page
