"""The council PDF's renderer: WeasyPrint on the combined HTML that mkdocs-to-pdf assembles, in a process of its
own (hooks/pdf.py hands it the job), so that the PDF's memory is WeasyPrint's own and not added on top of
everything MkDocs holds.

`python -P macros/pdf_render.py build …` (what scripts/build runs) imports WeasyPrint, forks the renderer, and runs
`mkdocs build …` in this process. WeasyPrint is imported once: the PDF plugin imports it when MkDocs loads the
plugin (before any hook could run), and here it is already loaded; the renderer, forked before MkDocs starts, is
as small as WeasyPrint alone. hooks/pdf.py takes the renderer over through RENDERER_ENV (this process's id, the
renderer's, and the three file descriptors). Without it (`mkdocs build -f mkdocs-pdf.yml`, `mkdocs serve`, the
tests) hooks/pdf.py starts `python -P macros/pdf_render.py --serve` when the build starts: a fresh interpreter,
which imports WeasyPrint a second time (about 0.6 CPU s).

The standard library, WeasyPrint and the plugin's finisher only: what this module imports, the renderer holds.
(`-P`: the folder of this file stays off sys.path, so its modules cannot shadow others' of the same name.)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any

import weasyprint
from mkdocs_to_pdf.utils.metadata_util import prepend_producer

RENDERER_ENV = "STRATEGY_PDF_RENDERER"


def render(job: dict[str, Any]) -> dict[str, int]:
    """What the plugin does with the combined HTML (generator.on_post_build: HTML(string=…).render(), then
    write_pdf with its Producer finisher): the HTML file, the PDF file and the WeasyPrint options of the job."""
    weasyprint.DEFAULT_OPTIONS.update(job["options"])
    with open(job["html"], encoding="utf-8") as f:
        html = f.read()
    document = weasyprint.HTML(string=html).render()
    del html
    document.write_pdf(job["pdf"], finisher=prepend_producer)
    return {"pages": len(document.pages), "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def serve(jobs: IO[str], results: IO[str]) -> None:
    """The renderer's life: one job line (none: the build made no PDF), rendered, and one report line."""
    line = jobs.readline()
    if line:
        results.write(json.dumps(render(json.loads(line))) + "\n")
        results.flush()


@dataclass(eq=False)
class Renderer:
    """This process's end of a renderer: a fresh process (`spawn`), or a fork (`fork`) with its job pipe, its
    report pipe and its stderr (a temporary file)."""

    pid: int
    process: subprocess.Popen[str] | None = None  # spawned
    jobs: IO[str] | None = None  # forked: the write end of the job pipe
    results: IO[str] | None = None  # forked: the read end of the report pipe
    errors: IO[bytes] | None = None  # forked: the renderer's stderr
    returncode: int | None = None

    @classmethod
    def spawn(cls) -> Renderer:
        """A fresh interpreter running this file (`--serve`)."""
        process = subprocess.Popen(
            [sys.executable, "-P", __file__, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return cls(process.pid, process)

    @classmethod
    def take_over(cls) -> Renderer | None:
        """The renderer `prestart` forked for this process, once (RENDERER_ENV is removed)."""
        value = os.environ.pop(RENDERER_ENV, "")
        numbers = [int(n) for n in value.split()] if value else []
        if len(numbers) != 5 or numbers[0] != os.getpid():
            return None
        _, pid, jobs, results, errors = numbers
        return cls(
            pid, None, open(jobs, "w", encoding="utf-8"), open(results, encoding="utf-8"), open(errors, "rb")
        )

    def poll(self) -> int | None:
        """The exit code, once the renderer has ended."""
        if self.process is not None:
            self.returncode = self.process.poll()
        elif self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def communicate(self, job: str) -> tuple[str, str]:
        """Send the job ("" for none) and wait for the renderer to end: its report and its stderr."""
        if self.process is not None:
            output, errors = self.process.communicate(job)
            self.returncode = self.process.returncode
            return output, errors
        assert self.jobs and self.results and self.errors
        try:
            if job:
                self.jobs.write(job)
            self.jobs.close()
        except BrokenPipeError:  # it ended already; its stderr says why
            pass
        output = self.results.read()
        self.results.close()
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        self.errors.seek(0)
        errors = self.errors.read().decode("utf-8", "replace")
        self.errors.close()
        return output, errors


def prestart() -> None:
    """Fork a renderer for this process's PDF build (call it while the process is small: before MkDocs starts)
    and leave it in RENDERER_ENV: this process's id, the renderer's, and this process's ends of the job pipe, the
    report pipe and the renderer's stderr (a temporary file). The descriptors are not inherited by other processes."""
    jobs_r, jobs_w = os.pipe()
    results_r, results_w = os.pipe()
    errors, path = tempfile.mkstemp(prefix="strategy-pdf-", suffix=".log")
    os.unlink(path)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the renderer: never returns
        code = 1
        try:
            os.close(jobs_w)
            os.close(results_r)
            os.dup2(errors, 2)
            with open(jobs_r, encoding="utf-8") as jobs, open(results_w, "w", encoding="utf-8") as results:
                serve(jobs, results)
            code = 0
        except BaseException:  # noqa: BLE001 (anything: the fork must end here, never return into the caller)
            import traceback

            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(jobs_r)
    os.close(results_w)
    os.environ[RENDERER_ENV] = f"{os.getpid()} {pid} {jobs_w} {results_r} {errors}"


def main(argv: list[str]) -> int:
    """`--serve`: the renderer on stdin and stdout. Anything else: `mkdocs` with these arguments, with a renderer
    forked first for hooks/pdf.py."""
    if argv == ["--serve"]:
        serve(sys.stdin, sys.stdout)
        return 0
    prestart()
    try:
        from mkdocs.__main__ import cli

        cli.main(args=argv, prog_name="mkdocs")  # exits (SystemExit)
        return 0
    finally:
        unused = Renderer.take_over()  # no PDF build took it: it ends at the end of its input
        if unused is not None:
            unused.communicate("")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
