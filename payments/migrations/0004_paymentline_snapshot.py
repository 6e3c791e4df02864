from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_from_fees(apps, schema_editor):
    """Existing lines take their fee's description and permit number as they are today: the
    nearest record there is of what was paid."""
    PaymentLine = apps.get_model("payments", "PaymentLine")
    Fee = apps.get_model("permits", "Fee")
    fee = Fee.objects.filter(pk=OuterRef("fee_id"))
    PaymentLine.objects.update(
        description=Subquery(fee.values("description")[:1]),
        permit_number=Subquery(fee.values("permit__number")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_alter_paymentline_payment"),
        ("permits", "0007_alter_fee_permit"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentline",
            name="description",
            field=models.CharField(default="", editable=False, max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="paymentline",
            name="permit_number",
            field=models.CharField(default="", editable=False, max_length=30),
            preserve_default=False,
        ),
        migrations.RunPython(fill_from_fees, migrations.RunPython.noop),
    ]
