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


def test_the_installed_distribution_holds_the_compatibility_modules():
    import importlib.metadata

    files = {str(path) for path in importlib.metadata.files("wnet") or []}
    for module in ("win32wnet", "win32netcon", "netbios", "pywintypes"):
        assert f"{module}/__init__.py" in files, module
    assert "wnet/_agent.py" in files
    import win32wnet

    site = pathlib.Path(win32wnet.__file__).resolve().parents[1]
    assert pathlib.Path(native_file()).resolve().parents[1] == site, "not the installed copy"


def native_file() -> str:
    return wnet._native.__file__


def test_the_stubs_type_check_the_examples_strictly(tmp_path):
    import subprocess
    import sys

    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
    for target in (["-p", "wnet", "-p", "win32wnet", "-p", "pywintypes", "-p", "netbios",
                    "-p", "win32netcon"], [str(examples)]):  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *target],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,  # the installed package, not the sources
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_stubs_match_the_runtime(tmp_path):
    # mypy's stubtest imports the installed modules and compares every stub with what it
    # finds at runtime (names, signatures, classes); deliberate differences are allowlisted.
    import subprocess
    import sys

    allowlist = pathlib.Path(__file__).resolve().parent / "stubtest_allowlist.txt"
    modules = ["wnet", "win32wnet", "pywintypes", "netbios", "win32netcon"]
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", *modules, "--allowlist", str(allowlist)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # the installed package, not the sources
    )
    assert result.returncode == 0, result.stdout + result.stderr
