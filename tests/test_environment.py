"""environment.yml (conda, Binder) must describe the same environment as pyproject.toml."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_pins_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]).union(*project["optional-dependencies"].values())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert len(pip_lists) == 1
    assert set(pip_lists[0]) == wanted
    python = next(d for d in environment["dependencies"] if str(d).startswith("python="))
    assert project["requires-python"] == ">=" + python.split("=")[1]


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for extra in project["optional-dependencies"].values() for r in extra]
    for requirement in project["dependencies"] + extras:
        assert "==" in requirement, f"{requirement} is not pinned"
