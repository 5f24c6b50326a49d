"""What the SMF method path imports: never jinja2 (nor markupsafe, which it brings).

The stop method runs while the global zone goes down; every module it imports costs
start-up time inside the method's timeout, and a missing optional package must not
stop it.  ``python -X importtime`` lists every module a fresh interpreter imports,
with no help from kzguard, so the check cannot be fooled by a lazy import done in
the same process by an earlier test.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import MakeHost

TEMPLATING = ("jinja2", "markupsafe")


def imported_modules(statement: str) -> list[str]:
    """Every module a fresh interpreter imports to run ``statement``, in order."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    modules = []
    for line in completed.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        if not line.startswith("import time:") or line.endswith("| imported package"):
            continue
        modules.append(line.rsplit("|", 1)[1].strip())
    assert modules, completed.stderr
    return modules


def templating(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] in TEMPLATING]


@pytest.mark.parametrize(
    "module", ["kzguard.cli", "kzguard.method", "kzguard.stop.path", "kzguard.start.path"]
)
def test_the_method_path_does_not_import_jinja2(module: str) -> None:
    modules = imported_modules(f"import {module}")
    assert module in modules
    assert templating(modules) == []


def test_each_smf_method_loads_its_own_path_and_nothing_of_the_other_commands(
    make_host: MakeHost,
) -> None:
    """The stop method loads the stop path, the start method the start path, and
    neither the other path nor the status checks and reports, nor the handlers of the
    other commands: each module costs CPU inside the method's timeout."""
    host = make_host(zones=1)
    host.set_runlevel("6")
    loaded = {}
    for name in ("stop", "start"):
        argv = ["-c", str(host.policy_path), "method", name]
        statement = f"import kzguard.cli as cli; raise SystemExit(cli.main({argv!r}))"
        loaded[name] = {m for m in imported_modules(statement) if m.startswith("kzguard")}
    others = ("kzguard.status", "kzguard.cli_commands", "kzguard.cli_cycle", "kzguard.cli_pending")
    for name, own, other in (("stop", "stop", "start"), ("start", "start", "stop")):
        assert f"kzguard.{own}.path" in loaded[name]
        assert sorted(m for m in loaded[name] if m.startswith((f"kzguard.{other}", *others))) == []


@pytest.mark.parametrize(
    "argv",
    [["method", "stop"], ["render", "manifest", "--defaults"], ["apply", "--dry-run"]],
)
def test_the_cli_entry_point_runs_without_importing_jinja2(argv: list[str]) -> None:
    """``python3 -m kzguard`` as svc-kzguard runs it, up to parsing the arguments: even
    ``render`` and ``apply`` import jinja2 only once their handler runs."""
    modules = imported_modules(
        f"import kzguard.cli as cli; cli.build_parser().parse_args({argv!r})"
    )
    assert templating(modules) == []


def test_the_render_handler_is_where_jinja2_is_imported() -> None:
    """The other side of the test above: running ``render manifest`` does import it."""
    modules = imported_modules(
        "import contextlib, io\n"
        "import kzguard.cli as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['render', 'manifest', '--defaults']) == 0"
    )
    assert "jinja2" in templating(modules)


def test_the_check_sees_jinja2_where_it_is_imported() -> None:
    """The detector itself: the manifest renderer does import both."""
    found = templating(imported_modules("import kzguard.manifest.render"))
    assert "jinja2" in found
    assert "markupsafe" in found


def test_the_simulator_and_the_demo_are_imported_only_for_their_commands() -> None:
    def simulator(modules: list[str]) -> list[str]:
        return [
            name for name in modules if name.startswith("kzguard.sim") or name == "kzguard.sim.demo"
        ]

    parse = "import kzguard.cli as cli; cli.main(['--version'])"
    assert (
        simulator(
            imported_modules(f"import contextlib\nwith contextlib.suppress(SystemExit): {parse}")
        )
        == []
    )
    assert "kzguard.sim.cli" in simulator(
        imported_modules("import kzguard.cli as cli; cli.build_parser({'sim'})")
    )
    assert "kzguard.sim.demo" in simulator(
        imported_modules("import kzguard.cli as cli; cli.build_parser({'demo'})")
    )


def test_the_placeholders_carry_the_commands_own_help_lines() -> None:
    from kzguard import cli  # noqa: PLC0415

    def help_lines(parser: object) -> dict[str, str]:
        subparsers = next(
            action
            for action in parser._actions  # type: ignore[attr-defined]
            if action.dest == "command"
        )
        return {choice.dest: choice.help for choice in subparsers._choices_actions}

    lazy = help_lines(cli.build_parser(set()))
    full = help_lines(cli.build_parser())
    assert {name: lazy[name] for name in cli.LAZY_COMMANDS} == cli.LAZY_COMMANDS
    assert {name: full[name] for name in cli.LAZY_COMMANDS} == cli.LAZY_COMMANDS
