"""README.md is the user's manual: the settings it shows must be the ones the code uses."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

from shadoweval.config import ScoringSettings

README = Path(__file__).resolve().parents[1] / "README.md"


def _config_example() -> dict:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Configuration.*?```toml\n(.*?)```", text, re.S)
    assert block, "README.md lost its configuration example"
    return tomllib.loads(block.group(1))


def test_the_readme_shows_every_scoring_setting_with_its_default() -> None:
    shown = _config_example()["scoring"]
    defaults = {f.name: getattr(ScoringSettings(), f.name) for f in fields(ScoringSettings)}
    assert set(shown) == set(defaults), f"README [scoring] differs: missing {set(defaults) - set(shown)}, extra {set(shown) - set(defaults)}"
    for name, value in defaults.items():
        assert shown[name] == value, f"README says scoring.{name} = {shown[name]}, the code's default is {value}"


def test_every_scoring_setting_is_explained_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for f in fields(ScoringSettings):
        assert re.search(rf"`(?:scoring\.)?{f.name}`", text), f"README.md never explains scoring.{f.name}"
