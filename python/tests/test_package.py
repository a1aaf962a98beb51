"""The installed package is the one this checkout builds."""

import pathlib
import re

import wnet


def workspace_version() -> str:
    cargo_toml = pathlib.Path(__file__).resolve().parents[2] / "Cargo.toml"
    match = re.search(r'^version = "([^"]+)"', cargo_toml.read_text(), re.MULTILINE)
    assert match, "the workspace Cargo.toml has no version"
    return match.group(1)


def test_native_extension_reports_the_workspace_version():
    assert wnet.__version__ == workspace_version()


def test_native_extension_is_compiled_code():
    native = wnet._native
    assert pathlib.Path(native.__file__).suffix == ".so"
