from django.db import migrations


def create_role_groups(apps, schema_editor):
    from oauth.roles import role_groups_sync

    role_groups_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("callbacks", "0002_event_traceback"),
        ("tokens", "0004_durable_install_exchange"),
        ("oauth", "0002_staff_roles_service_keys"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
