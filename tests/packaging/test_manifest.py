"""The SMF manifest: golden texts, the DTD, escaping, strictness, and jinja2 kept
off the method path.

To regenerate the golden files after a deliberate template change:

    python3 -m kzguard render manifest --defaults > tests/golden/manifest-default.xml

and for manifest-zones.xml, write ``render(zones_policy(), ZONES)`` below to the file.
Review the diff before committing it.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from lxml import etree

from kzguard.manifest.render import manifest_context, manifest_template, render_manifest
from kzguard.manifest.timeouts import METHOD_MARGIN, method_timeouts
from kzguard.policy.model import Policy, ResumePolicy, ShutdownPolicy
from kzguard.policy.schema import policy_from_text
from tests.packaging.conftest import DTD_PATH, GOLDEN, REPO, require

DEFAULT_POLICY_PATH = "/etc/kzguard/policy.toml"
ZONES_POLICY = """\
[shutdown]
deadline = "1h"

[resume]
deadline = "45m"
"""
ZONES = ["svc:/system/zones/zone:db1", "svc:/system/zones/zone:app.1"]
ESCAPED_PATH = "/etc/kzguard/<a&b> \"q\" 's'.toml"


def zones_policy() -> Policy:
    return policy_from_text(ZONES_POLICY, source="/etc/kzguard/policy.toml")


def render(policy: Policy, zones: list[str], policy_path: str = DEFAULT_POLICY_PATH) -> str:
    return render_manifest(policy, zone_instances=zones, policy_path=policy_path)


def validate(text: str) -> None:
    require(DTD_PATH.is_file(), f"the service_bundle DTD ({DTD_PATH})")
    dtd = etree.DTD(str(DTD_PATH))
    document = etree.fromstring(text.encode("utf-8"))
    assert dtd.validate(document), dtd.error_log.filter_from_errors()


def test_the_default_manifest_is_the_golden_text() -> None:
    golden = (GOLDEN / "manifest-default.xml").read_text(encoding="utf-8")
    assert render(Policy(), []) == golden


def test_a_manifest_with_deadlines_and_zones_is_the_golden_text() -> None:
    golden = (GOLDEN / "manifest-zones.xml").read_text(encoding="utf-8")
    assert render(zones_policy(), ZONES) == golden


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(render(Policy(), []), id="default"),
        pytest.param(render(zones_policy(), ZONES), id="zones"),
        pytest.param(render(Policy(), [], ESCAPED_PATH), id="escaped-path"),
    ],
)
def test_every_rendered_manifest_validates_against_the_dtd(text: str) -> None:
    validate(text)


def test_the_golden_files_validate_against_the_dtd() -> None:
    for name in ("manifest-default.xml", "manifest-zones.xml"):
        validate((GOLDEN / name).read_text(encoding="utf-8"))


def test_the_methods_run_the_method_script_with_the_policy_property() -> None:
    root = etree.fromstring(render(zones_policy(), ZONES).encode("utf-8"))
    methods = {
        method.get("name"): (method.get("exec"), method.get("timeout_seconds"))
        for method in root.iter("exec_method")
    }
    command = "/lib/svc/method/svc-kzguard %m %{config/policy}"
    assert methods == {
        "start": (command, str(45 * 60 + METHOD_MARGIN)),
        "stop": (command, str(3600 + METHOD_MARGIN)),
        "refresh": (command, "60"),
    }
    assert METHOD_MARGIN == 120  # kzguard.toml(5) says "plus two minutes"


def dependencies(text: str) -> list[tuple[str | None, str | None, str | None, list[str]]]:
    return [
        (
            dependency.get("name"),
            dependency.get("grouping"),
            dependency.get("restart_on"),
            [str(fmri.get("value")) for fmri in dependency.iter("service_fmri")],
        )
        for dependency in etree.fromstring(text.encode("utf-8")).iter("dependency")
    ]


# Held up until the stop method has written suspend images to NFS or iSCSI storage
# (docs/solaris.md 2.1, 13).  optional_all: a host without them, or with a client
# disabled, still runs kzguard; and pkgdepend turns only require_all dependencies
# into package dependencies (docs/solaris.md 6), so the package does not pull in
# the NFS and iSCSI clients.
STORAGE = [
    ("nfs-client", "optional_all", "none", ["svc:/network/nfs/client"]),
    ("iscsi-initiator", "optional_all", "none", ["svc:/network/iscsi/initiator"]),
]


def test_zone_dependencies_are_optional_sorted_and_unique() -> None:
    assert dependencies(render(Policy(), [*ZONES, ZONES[0]])) == [
        ("zones", "require_all", "none", ["svc:/system/zones:default"]),
        ("filesystem-local", "require_all", "none", ["svc:/system/filesystem/local"]),
        *STORAGE,
        ("zone-app.1", "optional_all", "none", ["svc:/system/zones/zone:app.1"]),
        ("zone-db1", "optional_all", "none", ["svc:/system/zones/zone:db1"]),
    ]


def test_the_storage_clients_are_optional_dependencies_of_every_rendering() -> None:
    for text in (render(Policy(), []), render(zones_policy(), ZONES)):
        found = dependencies(text)
        assert [d for d in found if d[0] in ("nfs-client", "iscsi-initiator")] == STORAGE
        assert [d[0] for d in found if d[1] == "require_all"] == ["zones", "filesystem-local"]


def test_xml_special_characters_in_the_policy_path_are_escaped() -> None:
    text = render(Policy(), [], ESCAPED_PATH)
    assert (
        '<propval name="policy" type="astring" '
        'value="/etc/kzguard/&lt;a&amp;b&gt; &#34;q&#34; &#39;s&#39;.toml"/>'
    ) in text
    root = etree.fromstring(text.encode("utf-8"))
    assert root.xpath("//property_group[@name='config']/propval[@name='policy']/@value") == [
        ESCAPED_PATH
    ]


def test_strict_undefined_catches_a_variable_the_code_does_not_pass() -> None:
    context = manifest_context(Policy(), zone_instances=[], policy_path=DEFAULT_POLICY_PATH)
    del context["stop_timeout"]
    with pytest.raises(jinja2.UndefinedError, match="'stop_timeout' is undefined"):
        manifest_template().render(context)


def test_a_method_timeout_is_never_zero_or_less() -> None:
    policy = Policy(shutdown=ShutdownPolicy(deadline=-float(METHOD_MARGIN)))
    with pytest.raises(ValueError, match=r"^the stop method timeout would be 0s; SMF reads 0 as"):
        method_timeouts(policy)
    policy = Policy(resume=ResumePolicy(deadline=-1000.0))
    with pytest.raises(ValueError, match=r"^the start method timeout would be -880s; SMF"):
        render(policy, [])


def test_fractional_deadlines_round_up() -> None:
    policy = Policy(shutdown=ShutdownPolicy(deadline=10.2), resume=ResumePolicy(deadline=10.0))
    assert method_timeouts(policy) == {"start": 130, "stop": 131, "refresh": 60}


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        (
            "svc:/system/zones/zone:bad name",
            "not the SMF instance of a zone: 'svc:/system/zones/zone:bad name'",
        ),
        (
            "svc:/site/kzguard:default",
            "not the SMF instance of a zone: 'svc:/site/kzguard:default'",
        ),
        ("svc:/system/zones/zone:", "not the SMF instance of a zone: 'svc:/system/zones/zone:'"),
    ],
)
def test_only_zone_instances_become_zone_dependencies(instance: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        render(Policy(), [instance])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("policy.toml", "the policy path must be absolute and normalised: 'policy.toml'"),
        (
            "/etc/../policy.toml",
            "the policy path must be absolute and normalised: '/etc/../policy.toml'",
        ),
        (
            "/etc/kz\n.toml",
            "the policy path must not contain control characters: '/etc/kz\\n.toml'",
        ),
        (
            "/etc/kzguard/$HOST{a,b}.toml",
            "the policy path must not contain $ { }: svc.startd passes it to the method "
            "through the shell, which would expand them: '/etc/kzguard/$HOST{a,b}.toml'",
        ),
        (
            "/etc/kzguard/p[1]?*.toml",
            "the policy path must not contain * ? [ ]: svc.startd passes it to the method "
            "through the shell, which would expand them: '/etc/kzguard/p[1]?*.toml'",
        ),
    ],
)
def test_the_policy_path_must_be_usable_by_svc_startd(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        render(Policy(), [], path)


def test_manifests_directory_holds_the_packaged_template() -> None:
    linked = REPO / "manifests" / "kzguard.xml.j2"
    assert linked.is_symlink()
    assert os.path.samefile(linked, REPO / "kzguard" / "manifest" / "templates" / "kzguard.xml.j2")


def test_setup_cfg_ships_the_template_as_package_data() -> None:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    assert config["options.package_data"]["kzguard.manifest.templates"].split() == ["*.j2"]
    assert (REPO / "kzguard" / "manifest" / "templates" / "__init__.py").is_file()


@pytest.mark.parametrize("module", ["kzguard.cli"])
def test_the_command_line_does_not_import_jinja2(module: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines()]
    assert module in imported
    assert [name for name in imported if name.split(".")[0] in ("jinja2", "markupsafe")] == []


def test_rendering_imports_jinja2_only_through_kzguard_manifest() -> None:
    users = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "kzguard").rglob("*.py")
        if "import jinja2" in path.read_text(encoding="utf-8")
        or "from jinja2" in path.read_text(encoding="utf-8")
    )
    assert users == ["kzguard/manifest/render.py"]


def test_golden_default_is_what_the_package_delivers(tmp_path: Path) -> None:
    # The same text the IPS build stages (packaging/build-ips.sh uses --defaults).
    completed = subprocess.run(
        [sys.executable, "-m", "kzguard", "render", "manifest", "--defaults"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout == (GOLDEN / "manifest-default.xml").read_text(encoding="utf-8")
