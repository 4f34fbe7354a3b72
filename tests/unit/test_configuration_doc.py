"""Every setting is documented in docs/configuration.md."""

from pathlib import Path

from api.settings import Settings

DOC = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()


def test_every_setting_is_in_the_table():
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias or f"LEDGER_{name.upper()}"
        assert f"`{variable}`" in DOC, variable
