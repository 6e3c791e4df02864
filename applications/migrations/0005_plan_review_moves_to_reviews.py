"""Plan review moved to the reviews app with its tables (reviews 0001): here the models leave
the applications app's state; the database is not touched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_myreview_name"),
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='review',
                    name='cycle',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='discipline',
                ),
                migrations.RemoveField(
                    model_name='review',
                    name='reviewer',
                ),
                migrations.RemoveField(
                    model_name='reviewcomment',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='reviewcondition',
                    name='review',
                ),
                migrations.RemoveField(
                    model_name='reviewcomment',
                    name='reason',
                ),
                migrations.RemoveField(
                    model_name='reviewcomment',
                    name='responded_by',
                ),
                migrations.RemoveField(
                    model_name='reviewcondition',
                    name='met_by',
                ),
                migrations.RemoveField(
                    model_name='reviewcycle',
                    name='application',
                ),
                migrations.RemoveField(
                    model_name='reviewdiscipline',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='reviewdiscipline',
                    name='permit_types',
                ),
                migrations.DeleteModel(
                    name='MyReview',
                ),
                migrations.DeleteModel(
                    name='Review',
                ),
                migrations.DeleteModel(
                    name='ReviewReason',
                ),
                migrations.DeleteModel(
                    name='ReviewComment',
                ),
                migrations.DeleteModel(
                    name='ReviewCondition',
                ),
                migrations.DeleteModel(
                    name='ReviewCycle',
                ),
                migrations.DeleteModel(
                    name='ReviewDiscipline',
                ),
    ]
        )
    ]
