from django.db import migrations, models


def english_names(apps, schema_editor):
    """The fixture's English names for the bureaus that have none yet (an admin's own stays)."""
    from urbanmgmt.hotline.bureaus import fixture_bureaus

    bureau = apps.get_model("hotline", "Bureau")
    for item in fixture_bureaus():
        if item.get("name_en"):
            bureau.objects.filter(code=item["code"], name_en="").update(name_en=item["name_en"])


class Migration(migrations.Migration):

    dependencies = [
        ("hotline", "0009_knowledge_base"),
    ]

    operations = [
        # The Chinese name keeps its column; `name` becomes the name in the page's language.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="bureau", old_name="name", new_name="name_zh"),
                migrations.AlterField(model_name="bureau", name="name_zh", field=models.CharField(
                    db_column="name", max_length=100, verbose_name="Chinese name")),
            ],
        ),
        migrations.AddField(
            model_name="bureau",
            name="name_en",
            field=models.CharField(blank=True, max_length=150, verbose_name="English name"),
        ),
        migrations.RunPython(english_names, migrations.RunPython.noop),
    ]
