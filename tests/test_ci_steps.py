"""The workflows' own steps, run for real on this machine (Debian 12, the OS of the CI container):
annotations and the job summary, the 新旧対照表 made by the base branch's code, the sticky comment script
(under node, against a recorded stand-in of GitHub's API), scripts/setup's decisions, and the artifact's site.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import DATA, ROOT, build_site, chromium, read_pages

TEXT = DATA.read_text(encoding="utf-8")
WORKFLOWS = ROOT / ".github" / "workflows"
GITHUB = {"github.repository_owner": "morioka-city", "github.event.repository.name": "dx-strategy"}
PAGES = "https://morioka-city.github.io/dx-strategy/"
QUICK = "not browser and not pdf and not slow"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def find_step(name: str, name_part: str) -> dict:
    """The step of workflow `name` whose name contains `name_part`."""
    for job in workflow(name)["jobs"].values():
        for s in job["steps"]:
            if name_part in s.get("name", ""):
                return s
    raise AssertionError(f"no step named like {name_part!r} in {name}")


def step(name_part: str, name: str = "ci.yml") -> str:
    """The `run:` script of a step."""
    return find_step(name, name_part)["run"]


def expand(value: str) -> str:
    """A step's env value with the github context of a fork named morioka-city/dx-strategy."""

    def one(match: re.Match) -> str:
        assert match[1] in GITHUB, f"unknown expression {match[0]}"
        return GITHUB[match[1]]

    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", one, value)


def workspace(tmp_path: Path, data: str) -> Path:
    """A checkout-like folder: the project's code, the venv, and the given data file."""
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "strategy.yaml").write_text(data, encoding="utf-8")
    (ws / "macros").symlink_to(ROOT / "macros")
    (ws / ".venv").symlink_to(ROOT / ".venv")
    return ws


def run_step(ws: Path, script: str, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    summary = ws.parent / "summary.md"
    summary.write_text("", encoding="utf-8")
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=ws,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(ws.parent), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    return result, summary.read_text(encoding="utf-8")


# --- the container's OS is this machine's -------------------------------------------------------------------


def os_release(path: Path = Path("/etc/os-release")) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key: value.strip('"') for key, value in pairs}


def test_this_machine_is_the_ci_containers_os():
    # CI runs python:3.11-slim-bookworm (tests/test_workflows.py checks every job's image); these tests run the
    # same steps here, so here must be Debian 12 too, or they would prove nothing about CI.
    images = {job["container"]["image"] for job in workflow("ci.yml")["jobs"].values()}
    assert len(images) == 1 and next(iter(images)).split("@")[0].endswith("-bookworm")
    release = os_release()
    assert (release["ID"], release["VERSION_ID"], release["VERSION_CODENAME"]) == ("debian", "12", "bookworm")


# --- ci.yml: the quick job ------------------------------------------------------------------------------------


def test_check_step_annotates_the_lines_and_lists_everything_in_the_summary(tmp_path: Path):
    broken = TEXT.replace("marker: tags", "marker: tag").replace("id: remark-02", "id: remark-01", 1)
    result, summary = run_step(workspace(tmp_path, broken), step("データを検査"))
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 3, result.stdout
    assert all(line.startswith("::error file=data/strategy.yaml,line=") for line in annotations)
    assert "## データ検査" in summary
    assert summary.count("data/strategy.yaml:") == 3 and "remark-01" in summary


def test_check_step_passes_on_good_data(tmp_path: Path):
    result, summary = run_step(workspace(tmp_path, TEXT), step("データを検査"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "問題は見つかりませんでした" in summary


def test_quick_step_selects_the_quick_suite():
    script = step("速いテスト")
    assert f'-m "{QUICK}"' in script
    # Two workers (pytest-xdist, a locked test tool): the quick suite must stay safe to run in parallel.
    assert script.startswith("scripts/test -n 2 "), script
    assert "pytest-xdist" in (ROOT / "requirements.in").read_text(encoding="utf-8").split()
    # The selection, collected by pytest itself: no browser or PDF module, every quick area present (only the
    # modules named here are collected: collecting all of them takes half as long again).
    browser_modules = {
        "tests/test_a11y.py",
        "tests/test_search.py",
        "tests/test_print.py",
        "tests/test_pdf.py",
    }
    quick_areas = ("model", "render", "build", "diff", "export", "workflows", "ci_steps", "links")
    named = sorted(browser_modules | {f"tests/test_{q}.py" for q in quick_areas} | {"tests/test_features.py"})
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "--collect-only", "-q", "-m", QUICK]
        + ["-p", "no:cacheprovider", *named],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    modules = {line.split("::")[0] for line in out.splitlines() if "::" in line}
    assert not modules & browser_modules
    for quick in quick_areas:
        assert f"tests/test_{quick}.py" in modules, quick
    assert "test_copy_link_button_copies_the_full_url" not in out


# --- comparison.yml: the base branch's code on the pull request's data -----------------------------------------


def comparison_workspace(tmp_path: Path, pr_data: str | None, base_data: str | None = TEXT) -> Path:
    """base/ as the base branch's checkout (code, venv, data), pr/ with only the pull request's data file."""
    ws = tmp_path / "ws"
    base = ws / "base"
    (base / "data").mkdir(parents=True)
    if base_data is not None:
        (base / "data" / "strategy.yaml").write_text(base_data, encoding="utf-8")
    (base / "macros").symlink_to(ROOT / "macros")
    (base / ".venv").symlink_to(ROOT / ".venv")
    (ws / "pr" / "data").mkdir(parents=True)
    if pr_data is not None:
        (ws / "pr" / "data" / "strategy.yaml").write_text(pr_data, encoding="utf-8")
    return ws


COMPARISON_ENV = {"BASE_REF": "main", "PR_NUMBER": "42", "HEAD_SHA": "a" * 40}


def test_comparison_step_writes_the_table_for_the_summary_and_the_artifact(tmp_path: Path):
    old, new = "やさしいデジタル化を目指す", "だれにもやさしいデジタル化を目指す"
    ws = comparison_workspace(tmp_path, TEXT.replace(old, new, 1))
    # Code in pr/ is never run: a hostile macros package there must change nothing.
    (ws / "pr" / "macros").mkdir()
    (ws / "pr" / "macros" / "__main__.py").write_text("print('| HACKED |')\n", encoding="utf-8")
    result, summary = run_step(ws, step("新旧対照表を作る", "comparison.yml"), **COMPARISON_ENV)
    assert result.returncode == 0, result.stderr
    artifact = tmp_path / "comparison"
    assert sorted(p.name for p in artifact.iterdir()) == [
        "comparison.html",
        "comparison.md",
        "comparison.pdf",
        "head-sha",
        "pr-number",
    ]
    # The same table as a web page and as an A4 landscape PDF for the council.
    page = (artifact / "comparison.html").read_text(encoding="utf-8")
    assert "<ins>だれにも</ins>" in page and "改正後" in page
    assert "A4 横の PDF（comparison.pdf）は、下の実行記録の成果物" in (artifact / "comparison.md").read_text(
        "utf-8"
    )
    from pypdf import PdfReader

    assert round(float(PdfReader(artifact / "comparison.pdf").pages[0].mediabox.width)) == 842  # A4 landscape
    table = (artifact / "comparison.md").read_text(encoding="utf-8")
    assert table == summary
    assert table.startswith("## 新旧対照表（比較元: main）")
    # The council's 新旧対照表: 改正後 on the left, 改正前 on the right, the added words marked.
    assert "| 改正後 | 改正前 |" in table
    row = next(line for line in table.splitlines() if "<ins>だれにも</ins>やさしい" in line)
    assert row.split(" | ")[-1].rstrip(" |").endswith(old) and "<ins>" not in row.split(" | ")[-1]
    assert "HACKED" not in table
    assert (artifact / "pr-number").read_text() == "42\n"


def test_comparison_step_reports_invalid_data_in_the_table(tmp_path: Path):
    ws = comparison_workspace(tmp_path, TEXT.replace("marker: tags", "marker: tag"))
    result, summary = run_step(ws, step("新旧対照表を作る", "comparison.yml"), **COMPARISON_ENV)
    assert result.returncode == 0, result.stderr
    assert "データに誤りがあるため、対照表は作れません" in summary
    assert re.search(r"strategy\.yaml:\d+:\d+: ", summary)


def test_comparison_step_without_base_data(tmp_path: Path):
    ws = comparison_workspace(tmp_path, TEXT, base_data=None)
    result, summary = run_step(ws, step("新旧対照表を作る", "comparison.yml"), **COMPARISON_ENV)
    assert result.returncode == 0, result.stderr
    assert "比較元ブランチに data/strategy.yaml がないため" in summary


# --- pr-comment.yml: the comment script, under node ----------------------------------------------------------

HARNESS = r"""
// Runs an actions/github-script script with a recorded stand-in of the GitHub API (state in a JSON file).
const fs = require("node:fs")
const [scriptFile, stateFile] = process.argv.slice(2)
const state = JSON.parse(fs.readFileSync(stateFile, "utf8"))
state.calls = []
state.notices = []
state.failed = null
const record = (name, result) => async (params) => {
  state.calls.push([name, params])
  return { data: typeof result === "function" ? result(params) : result }
}
const github = {
  rest: {
    pulls: {
      get: record("pulls.get", () => state.pr),
      listFiles: record("pulls.listFiles", () => state.files.map((filename) => ({ filename }))),
    },
    issues: {
      listComments: record("issues.listComments", () => state.comments),
      updateComment: record("issues.updateComment", (p) => {
        const c = state.comments.find((c) => c.id === p.comment_id)
        c.body = p.body
        return c
      }),
      createComment: record("issues.createComment", (p) => {
        const c = { id: 100 + state.comments.length, user: { login: "github-actions[bot]" }, body: p.body }
        state.comments.push(c)
        return c
      }),
    },
  },
  paginate: async (method, params) => (await method(params)).data,
}
const context = { repo: { owner: "morioka-city", repo: "dx-strategy" } }
const core = {
  setFailed: (m) => { state.failed = String(m) },
  notice: (m) => state.notices.push(String(m)),
  info: () => {},
}
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor
new AsyncFunction("require", "github", "context", "core", fs.readFileSync(scriptFile, "utf8"))(
  require, github, context, core,
).then(
  () => fs.writeFileSync(stateFile, JSON.stringify(state)),
  (error) => {
    state.thrown = String(error && error.message)
    fs.writeFileSync(stateFile, JSON.stringify(state))
  },
)
"""

HEAD = "b" * 40


def comment_script() -> str:
    return find_step("pr-comment.yml", "コメントを書く")["with"]["script"]


def run_comment(tmp_path: Path, artifact: Path, state: dict, head_sha: str = HEAD) -> dict:
    """Run the workflow's comment script as github-script would; returns the API state afterwards."""
    assert shutil.which("node"), "node is missing: run scripts/setup"
    script, harness, state_file = tmp_path / "script.js", tmp_path / "harness.cjs", tmp_path / "state.json"
    script.write_text(comment_script(), encoding="utf-8")
    harness.write_text(HARNESS, encoding="utf-8")
    state_file.write_text(json.dumps({"pr": {"head": {"sha": HEAD}}, "files": [], "comments": [], **state}))
    env = {**os.environ, "COMPARISON_DIR": str(artifact), "HEAD_SHA": head_sha, "RUN_URL": "https://x/run/1"}
    step_env = find_step("pr-comment.yml", "コメントを書く")["env"]
    assert set(step_env) == {"COMPARISON_DIR", "HEAD_SHA", "RUN_URL"}
    subprocess.run(["node", str(harness), str(script), str(state_file)], env=env, check=True, timeout=60)
    return json.loads(state_file.read_text())


def artifact_dir(tmp_path: Path, table: str, number: str = "7") -> Path:
    artifact = tmp_path / "artifact"
    artifact.mkdir(exist_ok=True)
    (artifact / "comparison.md").write_text(table, encoding="utf-8")
    (artifact / "pr-number").write_text(number + "\n", encoding="utf-8")
    (artifact / "head-sha").write_text(HEAD + "\n", encoding="utf-8")
    return artifact


def test_comment_is_one_sticky_comment_updated_on_each_push(tmp_path: Path):
    # The real table from the comparison step, then posted by the real script.
    old, new = "やさしいデジタル化を目指す", "だれにもやさしいデジタル化を目指す"
    ws = comparison_workspace(tmp_path, TEXT.replace(old, new, 1))
    result, _ = run_step(ws, step("新旧対照表を作る", "comparison.yml"), **COMPARISON_ENV)
    assert result.returncode == 0, result.stderr
    artifact = tmp_path / "comparison"
    (artifact / "pr-number").write_text("7\n", encoding="utf-8")
    others = [{"id": 1, "user": {"login": "someone"}, "body": "<!-- strategy-comparison:sticky -->\nfake"}]
    state = run_comment(tmp_path, artifact, {"comments": others})
    assert state["failed"] is None and "thrown" not in state
    assert [c["id"] for c in state["comments"]] == [1, 101]  # another user's look-alike is left alone
    body = state["comments"][1]["body"]
    assert body.startswith("<!-- strategy-comparison:sticky -->\n## 新旧対照表（比較元: main）")
    assert new in body and "https://x/run/1" in body and HEAD[:7] in body
    assert ["pulls.get", {"owner": "morioka-city", "repo": "dx-strategy", "pull_number": 7}] in state["calls"]

    # The next push: the same comment is rewritten, no second one.
    (artifact / "comparison.md").write_text(
        "## 新旧対照表（比較元: main）\n\n内容の変更はありません。\n", "utf-8"
    )
    again = run_comment(tmp_path, artifact, {"comments": state["comments"]})
    assert [c["id"] for c in again["comments"]] == [1, 101]
    assert (
        "内容の変更はありません。" in again["comments"][1]["body"] and new not in again["comments"][1]["body"]
    )
    assert [c[0] for c in again["calls"]].count("issues.updateComment") == 1


def test_comment_skips_a_superseded_run(tmp_path: Path):
    state = run_comment(tmp_path, artifact_dir(tmp_path, "## 表\n"), {"pr": {"head": {"sha": "c" * 40}}})
    assert state["comments"] == [] and state["failed"] is None
    assert any("newer run" in n for n in state["notices"])


@pytest.mark.parametrize("number", ["7; rm -rf /", "0", "-1", "７", "$(id)", "1" * 12, ""])
def test_comment_refuses_a_bad_pull_request_number(tmp_path: Path, number: str):
    state = run_comment(tmp_path, artifact_dir(tmp_path, "## 表\n", number=number), {})
    assert state["calls"] == [] and state["comments"] == []
    assert state["failed"] or state.get("thrown")


def test_comment_treats_the_table_as_untrusted_text(tmp_path: Path):
    table = "## 表\n\n| @octocat | <!-- strategy-comparison:sticky --> |\n" + "あ" * 70000
    state = run_comment(
        tmp_path, artifact_dir(tmp_path, table), {"files": [".github/workflows/comparison.yml"]}
    )
    body = state["comments"][0]["body"]
    assert len(body) < 65536  # GitHub's limit for a comment
    assert "長すぎるため、ここで切りました" in body
    assert "@octocat" not in body and "@\u2060octocat" in body  # no notifications from the data
    assert body.count("<!-- strategy-comparison:sticky -->") == 1
    assert "[!WARNING]" in body and "`.github/workflows/comparison.yml`" in body


def test_comment_refuses_oversized_or_linked_files(tmp_path: Path):
    artifact = artifact_dir(tmp_path, "x" * (1024 * 1024 + 1))
    state = run_comment(tmp_path, artifact, {})
    assert "more than" in state["thrown"] and state["comments"] == []
    (artifact / "comparison.md").unlink()
    (artifact / "comparison.md").symlink_to("/etc/passwd")
    state = run_comment(tmp_path, artifact, {})
    assert "not a regular file" in state["thrown"] and state["comments"] == []


# --- scripts/setup: what it installs, where it refuses ----------------------------------------------------------

FAKE_APT = """#!/bin/sh
echo "apt-get $*" >> "$SETUP_LOG"
"""
FAKE_SUDO = """#!/bin/sh
echo "sudo" >> "$SETUP_LOG"
exec "$@"
"""
FAKE_ID = """#!/bin/sh
echo "${FAKE_UID:-0}"
"""
FAKE_DPKG_QUERY = """#!/bin/sh
exit 1
"""


def setup_workspace(tmp_path: Path, release: str) -> tuple[Path, dict[str, str]]:
    """A copy of scripts/setup with its lock files, a venv and node_modules already matching them, and stand-ins
    for apt-get, dpkg-query (nothing installed), sudo and id that record what the script asks of the system."""
    ws = tmp_path / "ws"
    (ws / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "setup", ws / "scripts" / "setup")
    for name in ("requirements.txt", "package-lock.json"):
        shutil.copy2(ROOT / name, ws / name)
    (ws / ".venv" / "bin").mkdir(parents=True)
    (ws / ".venv" / "bin" / "python").symlink_to(shutil.which("python3"))
    (ws / "node_modules").mkdir()
    for stamp, lock in (
        (".venv/.requirements.sha256", "requirements.txt"),
        ("node_modules/.package-lock.sha256", "package-lock.json"),
    ):
        digest = subprocess.run(
            ["sha256sum", lock], cwd=ws, capture_output=True, text=True, check=True
        ).stdout
        (ws / stamp).write_text(digest.split()[0] + "\n", encoding="utf-8")
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in (
        ("apt-get", FAKE_APT),
        ("sudo", FAKE_SUDO),
        ("id", FAKE_ID),
        ("dpkg-query", FAKE_DPKG_QUERY),
    ):
        (fake / name).write_text(text, encoding="utf-8")
        (fake / name).chmod(0o755)
    (tmp_path / "os-release").write_text(release, encoding="utf-8")
    env = {
        "PATH": f"{fake}:{os.environ['PATH']}",
        "SETUP_LOG": str(tmp_path / "setup.log"),
        "OS_RELEASE": str(tmp_path / "os-release"),
        "HOME": str(tmp_path),
    }
    return ws, env


DEBIAN_12 = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
)
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'
DEBIAN_13 = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n'


def run_setup(ws: Path, env: dict[str, str], **extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    result = subprocess.run(
        ["/bin/bash", str(ws / "scripts" / "setup")],
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    log = Path(env["SETUP_LOG"])
    return result, log.read_text().splitlines() if log.exists() else []


def installed(log: list[str]) -> list[str]:
    line = next(line for line in log if line.startswith("apt-get") and " install " in line)
    return line.split(" --no-install-recommends ", 1)[1].split()


@pytest.mark.parametrize("release", [UBUNTU, DEBIAN_13, ""], ids=["ubuntu", "debian-13", "none"])
def test_setup_refuses_other_systems_in_japanese(tmp_path: Path, release: str):
    ws, env = setup_workspace(tmp_path, release)
    result, log = run_setup(ws, env)
    assert result.returncode == 1
    assert "対応していません" in result.stderr and "Debian 12（bookworm）" in result.stderr
    assert "docker run" in result.stderr  # says what to do instead
    assert log == []  # nothing was installed or asked of apt


def test_setup_installs_what_is_missing_on_debian_12(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    result, log = run_setup(ws, env)
    assert result.returncode == 0, result.stderr
    packages = installed(log)
    for needed in (
        "chromium",
        "fonts-morisawa-bizud-gothic",
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "poppler-utils",
        "git",
    ):
        assert needed in packages, needed
    assert "sudo" not in log  # root needs no sudo
    assert any(line.startswith("apt-get -q update") for line in log)


def test_setup_uses_an_existing_chromium(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n", encoding="utf-8")
    browser.chmod(0o755)
    result, log = run_setup(ws, env, CHROMIUM_PATH=str(browser))
    assert result.returncode == 0, result.stderr
    packages = installed(log)
    assert "chromium" not in packages and "fonts-morisawa-bizud-gothic" in packages


def test_setup_refuses_a_chromium_path_that_is_not_a_program(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    result, log = run_setup(ws, env, CHROMIUM_PATH=str(tmp_path / "nowhere"))
    assert (
        result.returncode == 1
        and "CHROMIUM_PATH" in result.stderr
        and "実行できるファイルではありません" in result.stderr
    )
    assert log == []


def test_setup_keeps_downloads_in_apt_archives(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    result, log = run_setup(ws, env, APT_ARCHIVES=str(tmp_path / "cache" / "apt"))
    assert result.returncode == 0, result.stderr
    option = f"-o Dir::Cache::Archives={tmp_path}/cache/apt/"
    assert all(option in line for line in log if line.startswith("apt-get")), log
    assert (tmp_path / "cache" / "apt" / "partial").is_dir()


def test_setup_uses_sudo_when_not_root(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    result, log = run_setup(ws, env, FAKE_UID="1000")
    assert result.returncode == 0, result.stderr
    assert log[0] == "sudo" and log[1].startswith("apt-get") and log.count("sudo") == 2


def test_setup_without_root_or_sudo_says_so(tmp_path: Path):
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    # A PATH with the stand-ins and only the few tools the script needs: no sudo anywhere.
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("bash", "dirname", "cat", "grep", "sha256sum", "cut", "mkdir", "env", "python3"):
        (tools / tool).symlink_to(shutil.which(tool))
    (tmp_path / "bin" / "sudo").unlink()
    result, log = run_setup(ws, env, FAKE_UID="1000", PATH=f"{tmp_path / 'bin'}:{tools}")
    assert result.returncode == 1
    assert "root か sudo が必要です" in result.stderr and log == []


def test_setup_installs_the_venv_startup_file(tmp_path: Path):
    """scripts/setup puts scripts/venv_startup.py into .venv's site-packages with the .pth that runs it, and keeps
    both up to date."""
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    shutil.copy2(ROOT / "scripts" / "venv_startup.py", ws / "scripts" / "venv_startup.py")
    stamp = (ws / ".venv" / ".requirements.sha256").read_text(encoding="utf-8")
    shutil.rmtree(ws / ".venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(ws / ".venv")], check=True, timeout=120
    )
    (ws / ".venv" / ".requirements.sha256").write_text(stamp, encoding="utf-8")
    site_packages = Path(
        subprocess.run(
            [
                str(ws / ".venv" / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site_packages / "morioka_strategy_startup.py").write_text("# an older copy\n", encoding="utf-8")
    (site_packages / "morioka_strategy_startup.pth").write_text("import something_else\n", encoding="utf-8")
    result, _ = run_setup(ws, env)
    assert result.returncode == 0, result.stderr
    assert (site_packages / "morioka_strategy_startup.py").read_bytes() == (
        ROOT / "scripts" / "venv_startup.py"
    ).read_bytes()
    assert (site_packages / "morioka_strategy_startup.pth").read_text() == "import morioka_strategy_startup\n"
    probe = subprocess.run(
        [str(ws / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.meta_path[0].__name__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout == "DeferringFinder\n", probe.stderr  # the .pth ran it when Python started
    assert not list(site_packages.glob(".morioka*"))  # no temporary file left


def test_setup_leaves_a_python_that_is_not_a_virtualenv_alone(tmp_path: Path):
    """setup_workspace's .venv is a stand-in (no pyvenv.cfg): setup never asks it where its site-packages are, so
    it never writes into a system Python or another virtualenv."""
    ws, env = setup_workspace(tmp_path, DEBIAN_12)
    shutil.copy2(ROOT / "scripts" / "venv_startup.py", ws / "scripts" / "venv_startup.py")
    python = ws / ".venv" / "bin" / "python"
    python.unlink()
    python.write_text('#!/bin/sh\necho "python $*" >> "$SETUP_LOG"\nexec python3 "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    result, log = run_setup(ws, env)
    assert result.returncode == 0, result.stderr
    assert not [line for line in log if line.startswith("python")], log


def test_setup_needs_no_network_once_installed():
    # After scripts/setup, running it again changes nothing and asks no server: here with the network cut off.
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if os.geteuid() != 0 or probe.returncode != 0:
        pytest.skip("unshare -n needs root here")
    result = subprocess.run(
        ["unshare", "-n", str(ROOT / "scripts" / "setup")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""


# --- ci.yml: the artifact's site opens from disk, with the Pages address ----------------------------------------


@pytest.fixture(scope="module")
def preview_site(tmp_path_factory) -> Path:
    """The artifact's site as ci.yml's step makes it, from a site built with the Pages address of the repository."""
    env = {k: expand(str(v)) for k, v in find_step("ci.yml", "サイトと議会資料 PDF をビルド")["env"].items()}
    assert env == {"SITE_URL": PAGES}
    ws = tmp_path_factory.mktemp("preview")
    saved = os.environ.get("SITE_URL")
    os.environ["SITE_URL"] = env["SITE_URL"]
    try:
        build_site(ROOT, ws / "site")
    finally:
        if saved is None:
            os.environ.pop("SITE_URL", None)
        else:
            os.environ["SITE_URL"] = saved
    (ws / "scripts").mkdir()
    (ws / "scripts" / "disk-site").symlink_to(ROOT / "scripts" / "disk-site")
    result, _ = run_step(ws, step("成果物用のサイト"))
    assert result.returncode == 0, result.stderr
    return ws / "site-preview"


def test_preview_site_links_point_at_files(preview_site: Path):
    pages = read_pages(preview_site)
    assert "index.html" in pages and "revision/remarks/index.html" in pages
    checked = 0
    for name, soup in pages.items():
        for tag in soup.select("[href], [src]"):
            value = tag.get("href") or tag.get("src")
            path = value.split("#")[0].split("?")[0]
            if not path or re.match(r"^[a-z]+:", path):
                continue
            target = (preview_site / name).parent / path
            assert target.is_file(), f"{name}: {value} is not a file on disk"
            checked += 1
    assert checked > 500
    # The addresses that leave the folder are the repository's Pages address, never the local preview server.
    sitemap = (preview_site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(loc.startswith(PAGES) for loc in locs)
    for name, soup in pages.items():
        assert soup.select_one('link[rel="canonical"]')["href"].startswith(PAGES), name
        assert not soup.select('[href*="127.0.0.1"], [src*="127.0.0.1"]'), name


def test_disk_site_rewrites_only_folder_links():
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("disk_site", str(ROOT / "scripts" / "disk-site"))
    spec = importlib.util.spec_from_loader("disk_site", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    cases = {
        ".": "index.html",
        "./": "index.html",
        "..": "../index.html",
        "../..": "../../index.html",
        "../remarks/": "../remarks/index.html",
        "../remarks/#remark-13": "../remarks/index.html#remark-13",
        "#top": "#top",
        "data/strategy.json": "data/strategy.json",
        "https://example.org/a/": "https://example.org/a/",
        "mailto:x@example.org": "mailto:x@example.org",
        "/abs/": "/abs/",
    }
    assert {k: module.file_link(k) for k in cases} == cases
    html = '<a class="x" href="../a/">t</a><p>href="../b/"</p><img src="./">'
    assert (
        module.convert(html)
        == '<a class="x" href="../a/index.html">t</a><p>href="../b/"</p><img src="index.html">'
    )


@pytest.mark.browser
def test_preview_site_navigates_from_disk(preview_site: Path):
    with chromium() as browser:
        page = browser.new_page()
        page.goto((preview_site / "index.html").as_uri())
        # The navigation is pruned (only the current branch is expanded): a chapter first, then its section.
        for target in ("revision/index.html", "remarks/index.html"):
            link = page.locator(f'nav.md-nav--primary a.md-nav__link[href$="{target}"]').first
            link.evaluate("a => a.click()")
            page.wait_for_url(f"**/{target}", timeout=15000)
        assert page.url.endswith("/revision/remarks/index.html")
        assert "Index of" not in page.content()
        assert page.locator("article h1").count() == 1
        page.close()


@pytest.mark.pdf
@pytest.mark.slow
def test_build_steps_make_the_artifacts_with_the_pages_address(tmp_path: Path):
    """ci.yml's two build steps, run in a copy of the project: the PDF and the site folder of the artifacts."""
    from tests.conftest import copy_project

    ws = copy_project(tmp_path / "ws")
    shutil.copytree(ROOT / "scripts", ws / "scripts")
    for name in ("requirements.txt", "package-lock.json"):
        shutil.copy2(ROOT / name, ws / name)
    for name in (".venv", "node_modules"):
        (ws / name).symlink_to(ROOT / name)
    for name_part in ("サイトと議会資料 PDF をビルド", "成果物用のサイト"):
        s = find_step("ci.yml", name_part)
        env = {k: expand(str(v)) for k, v in (s.get("env") or {}).items()}
        result, _ = run_step(ws, s["run"], SOURCE_DATE_EPOCH="1669852800", **env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    cover = subprocess.run(
        ["pdftotext", "-l", "2", str(ws / "site-preview" / "pdf" / "strategy.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert PAGES in cover and "127.0.0.1" not in cover
    assert (ws / "site-preview" / "revision" / "remarks" / "index.html").is_file()
