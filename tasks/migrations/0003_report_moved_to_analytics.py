# Reports moved to analytics (analytics 0003), table and rows included: only the state
# changes here, the table `tasks_report` stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0002_report'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Report')],
            database_operations=[],
        ),
    ]
