from django.db import migrations


class Migration(migrations.Migration):
    """Its rows are events now (portal 0003)."""

    dependencies = [
        ("portal", "0003_status_histories_become_events"),
        ("core", "0003_events"),
    ]

    operations = [
        migrations.DeleteModel(name="StatusChange"),
    ]
