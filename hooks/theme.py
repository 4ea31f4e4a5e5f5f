"""MkDocs hooks for Material's templates: compile them once, and render the navigation once per branch.

Listed in mkdocs.yml under `hooks:`. The HTML stays Material's own; only the work to make it changes:

- Compiled templates are kept between builds (Jinja's bytecode cache, in the user's temporary directory,
  checked against each template's source), so a build does not recompile Material's templates every time.
- Material writes the whole navigation into every page, so a site of n pages renders n navigations: with many
  chapters that grows as n². A branch of the navigation that does not hold the current page is the same HTML
  on every page but for its links, which are relative to the page. `nav_cached` renders such a branch once per
  build with Material's own macro, remembers where its links are, and on other pages writes them again with
  MkDocs' `normalize_url`, the function behind the templates' `url` filter. The branch that holds the current
  page is rendered by Material as usual. tests/test_build.py compares every page with an uncached build.
- `page_of(src)`: a page by its source path, for our partials (a look-up instead of a scan of `nav.pages`).

And two things that are not about templates but are work a build does not need: mkdocs-macros runs 13 `git`
commands at every start (0.2 s) to offer a `git` variable that no page of ours uses, and has no option to turn
them off. Its function is replaced by one that returns the "no git information" answer it gives outside a
repository; a template that used `git.…` would stop the build (`on_undefined: strict`). And its `on_pre_build`
writes every variable (the whole model) as JSON for a debug message, also when debug messages are off (0.13 s at
10× the data): `on_config` has it log its three INFO lines as before and make the JSON only for `--verbose`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url

NAV_CACHE = True  # tests/test_build.py turns this off in a copy of the project to compare the HTML
NAV = f"{__name__}:nav"  # this build's NavCache in config.plugins (tests read its counters)

# Where Material's navigation partials call the macro that renders one item (with its branch): those calls go
# through nav_cached. The top level is a loop over every chapter on every page (about 420 items at 100× the data):
# the whole loop becomes one call, `nav_cached.top`, which writes runs of unchanged branches at once. If Material
# changes these lines, the build stops here rather than silently losing speed.
_TOP_LOOP = re.compile(
    r'{% for nav_item in nav\.items %}(\s*){% set path = "__nav_" ~ loop\.index %}(\s*)'
    r"{{ item\.render\(nav_item, path, 1\) }}(\s*){% endfor %}"
)


def _top_call(loop: re.Match[str]) -> str:
    """The loop's call: its whitespace before and after each item (as Jinja writes it) passed as strings."""
    return f"{{{{ nav_cached.top(item.render, nav.items, {json.dumps(loop[1] + loop[2])}, {json.dumps(loop[3])}) }}}}"


NAV_CALLS: dict[str, list[tuple[str | re.Pattern[str], Any]]] = {
    "partials/nav.html": [(_TOP_LOOP, _top_call)],
    "partials/nav-item.html": [
        (
            '{{ render(item, path ~ "_" ~ loop.index, level + 1, nav_item) }}',
            '{{ nav_cached(render, item, path ~ "_" ~ loop.index, level + 1, nav_item) }}',
        ),
    ],
}
TOP_BLOCK = 16  # top-level items joined at once (`NavCache.top`)
_HREF = re.compile(r'href="([^"]*)"')
_BREAKS = re.compile(r"(?<=>)\s*\n\s*|\s*\n\s*(?=<)")


def _no_git_info() -> dict[str, Any]:
    """mkdocs-macros' `git` variable without running git."""
    return {"status": False, "date": None, "diagnosis": "not collected (hooks/theme.py)"}


if "mkdocs_macros.context" in sys.modules:  # loaded with the plugin, before the hooks
    sys.modules["mkdocs_macros.context"].get_git_info = _no_git_info


class PatchedLoader(jinja2.BaseLoader):
    """The theme's loader, with NAV_CALLS applied to the templates they name."""

    def __init__(
        self, inner: jinja2.BaseLoader, patches: dict[str, list[tuple[str | re.Pattern[str], Any]]]
    ) -> None:
        self.inner = inner
        self.patches = patches

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        for old, new in self.patches.get(template, []):
            if isinstance(old, re.Pattern):
                source, found = old.subn(new, source)
            else:
                found = source.count(old)
                source = source.replace(old, new)
            if found != 1:
                raise jinja2.TemplateError(
                    f"{filename}: hooks/theme.py expects `{getattr(old, 'pattern', old)}` once in Material's "
                    "template; update NAV_CALLS."
                )
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def _urls(item: Any) -> set[str]:
    """The URLs of an item and of everything below it in the navigation."""
    urls = {item.url} if getattr(item, "url", None) is not None else set()
    for child in getattr(item, "children", None) or []:
        urls |= _urls(child)
    return urls


class NavCache:
    """Each navigation branch that does not hold the current page, rendered once per build."""

    def __init__(self) -> None:
        # (item, id, level, parent active) -> the HTML cut at its links: text, URL, text, URL, …, text
        self.branches: dict[tuple[int, str, int, bool], list[str]] = {}
        # the same key -> the first path segments of its links, or None if a link is not a plain site path
        self.firsts: dict[tuple[int, str, int, bool], frozenset[str] | None] = {}
        # (the same key, depth of the page's folder) -> the branch's HTML for every page at that depth whose
        # first segment is none of the branch's: its links are then "../" * depth + the link
        self.by_depth: dict[tuple[tuple[int, str, int, bool], int], str] = {}
        # (the top-level items, index of a block's first item, depth) -> the block's HTML (`top`)
        self.blocks: dict[tuple[int, int, int], str] = {}
        # Branches of this build: rendered by Material, written from the cache.
        self.stats = {"rendered": 0, "reused": 0}

    @jinja2.pass_context
    def __call__(
        self, context: jinja2.runtime.Context, render: Callable[..., Any], item: Any, *args: Any
    ) -> Any:
        page = context.get("page")
        parent = args[2] if len(args) > 2 else None
        if not NAV_CACHE or not isinstance(page, Page):
            return render(item, *args)
        if getattr(item, "active", False):
            return _markup(context, squeeze(str(render(item, *args))))
        key = (id(item), str(args[0]), int(args[1]), bool(getattr(parent, "active", False)))
        parts = self.branches.get(key)
        if parts is None:
            html = squeeze(str(render(item, *args)))
            # Material writes each link as `{{ url | url }}`: normalize_url(url, page). Cut the HTML there.
            links = {normalize_url(url, page): url for url in _urls(item)}
            parts = []
            end = 0
            for match in _HREF.finditer(html):
                if match[1] in links:
                    parts += [html[end : match.start(1)], links[match[1]]]
                    end = match.end(1)
            parts.append(html[end:])
            self.branches[key] = parts
            self.firsts[key] = _first_segments(parts[1::2])
            self.stats["rendered"] += 1
            return _markup(context, html)
        self.stats["reused"] += 1
        folder = _folder(page.url)
        if folder is not None and same_at_depth(folder, self.firsts[key]):
            text = self.by_depth.get((key, len(folder)))
            if text is None:
                text = self.by_depth[key, len(folder)] = _join(parts, page)
        else:
            text = _join(parts, page)
        return _markup(context, text)

    @jinja2.pass_context
    def top(
        self,
        context: jinja2.runtime.Context,
        render: Callable[..., Any],
        items: list[Any],
        before: str,
        after: str,
    ) -> Any:
        """Material's top-level loop (`item.render(nav_item, "__nav_" ~ loop.index, 1)` for each item, with the
        loop's whitespace around it). The items go in blocks of TOP_BLOCK: a block whose branches this page writes
        as every page of its depth does is joined once per build and depth (memory grows with the items, not with
        their square); the items of other blocks go through `__call__` one by one."""
        page = context.get("page")
        folder = _folder(page.url) if isinstance(page, Page) else None
        before, after = squeeze(before), squeeze(after)
        out: list[str] = []
        for first in range(0, len(items), TOP_BLOCK):
            block = range(first, min(first + TOP_BLOCK, len(items)))
            key = (id(items), first, len(folder)) if folder is not None else None
            text = self.blocks.get(key) if key else None
            if text is not None and all(self._shared(items[i], i, folder) for i in block):
                self.stats["reused"] += len(block)
                out.append(text)
                continue
            text = "".join(
                before + str(self(context, render, items[i], f"__nav_{i + 1}", 1)) + after for i in block
            )
            if key and all(self._shared(items[i], i, folder) for i in block):
                self.blocks[key] = text
            out.append(text)
        text = "".join(out)
        return _markup(context, text)

    def _shared(self, item: Any, index: int, folder: list[str] | None) -> bool:
        """Whether a top-level item's branch is written here as on every page as deep as `folder` (see __call__)."""
        key = (id(item), f"__nav_{index + 1}", 1, False)
        return (
            folder is not None
            and not getattr(item, "active", False)
            and key in self.firsts
            and same_at_depth(folder, self.firsts[key])
        )


def squeeze(html: str) -> str:
    """Material's navigation without its indentation: each run of whitespace that holds a line break and touches
    a tag becomes one line break. The page shows the same (one space where there was whitespace, none inside
    attribute values, and there is no <pre> in the navigation), and at 100× the data the navigation on every page
    is half as long (190 000 → 90 000 characters), and so is the work on it that follows."""
    return _BREAKS.sub("\n", html)


def _markup(context: jinja2.runtime.Context, text: str) -> Any:
    return Markup(text) if context.eval_ctx.autoescape else text


def _join(parts: list[str], page: Page) -> str:
    return "".join(part if i % 2 == 0 else normalize_url(part, page) for i, part in enumerate(parts))


def same_at_depth(folder: list[str], firsts: frozenset[str] | None) -> bool:
    """Whether links to paths starting with `firsts` are the same from every folder as deep as `folder` that
    shares its first segment with none of them (MkDocs' get_relative_url: "../" per folder, then the path)."""
    return firsts is not None and not (folder and folder[0] in firsts)


def _folder(url: str) -> list[str] | None:
    """The segments of the folder of a page's URL (`a/b/` and `a/b.html` are in `a/b` and `a`), as MkDocs'
    get_relative_url reads them; None for a URL of another form."""
    if url in ("", "/"):
        segments = []
    elif url.endswith("/"):
        segments = url[:-1].split("/")
    elif url.endswith(".html"):
        segments = url.split("/")[:-1]
    else:
        return None
    if any(s in ("", ".", "..") for s in segments):
        return None
    return segments


def _first_segments(urls: list[str]) -> frozenset[str] | None:
    """The first path segments of a branch's links; None if one is not a plain path below the site."""
    if any(u.startswith(("/", ".")) or ":" in u or "?" in u or "#" in u for u in urls):
        return None
    return frozenset(u.split("/", 1)[0] for u in urls)


def on_config(config: MkDocsConfig) -> None:
    """mkdocs-macros' pre_build event, with its debug payloads made only when debug messages are shown."""
    macros = config.plugins.get("macros")
    if macros is None:  # (a hook's own on_pre_build has no __self__ either: never wrap it)
        return
    events = config.plugins.events["pre_build"]
    for i, event in enumerate(events):
        if getattr(event, "__self__", None) is macros and getattr(event, "__name__", "") == "on_pre_build":
            events[i] = _macros_pre_build(macros, event)


def _macros_pre_build(macros: Any, original: Callable[..., None]) -> Callable[..., None]:
    util = sys.modules["mkdocs_macros.util"]

    def on_pre_build(*, config: MkDocsConfig) -> None:
        if util.LOG.isEnabledFor(logging.DEBUG):
            original(config=config)
            return
        util.trace("Config variables:", list(macros.variables.keys()))
        if macros.macros:
            util.trace("Config macros:", list(macros.macros.keys()))
        if macros.filters:
            util.trace("Config filters:", list(macros.filters.keys()))

    return on_pre_build


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    """Cache compiled templates, route the navigation through NavCache, and add `page_of`."""
    env.bytecode_cache = jinja2.FileSystemBytecodeCache()
    assert env.loader is not None
    if NAV_CACHE:  # off: Material's templates as they are (tests/test_build.py compares the two)
        env.loader = PatchedLoader(env.loader, NAV_CALLS)
    env.globals["nav_cached"] = config.plugins[NAV] = NavCache()  # type: ignore[assignment]

    def page_of(src: str) -> Page | None:
        file = files.get_file_from_path(src)
        return file.page if file else None

    env.globals["page_of"] = page_of
    return env
