"""Local copies of the CDN assets models like to use, from the npm packages installed at set-up.

``AssetLibrary(node_modules)`` recognises a CDN URL (``kind_of``) and produces the inline CSS or JS
that replaces it, so a page written for Tailwind, Font Awesome, Bootstrap or Google Fonts renders
the same with the network off: Tailwind CSS compiled for the classes the page uses (the Play CDN is
a script, and static pages have none), Font Awesome and Google Fonts with their woff2 files as
``data:`` URIs, Bootstrap's CSS (and JS bundle) inline. Every piece is cached per process, and
Tailwind builds also on disk by content hash. Nothing here touches the network.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import tinycss2
from tinycss2 import ast

log = logging.getLogger(__name__)

AssetKind = Literal[
    "tailwind", "fontawesome", "bootstrap-css", "bootstrap-js", "google-fonts", "highlightjs-css"
]

_BOOTSTRAP_FILE = re.compile(r"/bootstrap(\.bundle)?(\.min)?\.(css|js)$")
_HLJS_STYLE = re.compile(r"highlight(?:\.js|js)?/.*styles/([\w.-]+?)(?:\.min)?\.css$")
# Only these keys of an inline `tailwind.config = {...}` are used: data that shapes the CSS.
_TAILWIND_CONFIG_KEYS = ("theme", "darkMode", "important", "prefix", "separator", "corePlugins")
_TAILWIND_PLUGINS = {"forms": "@tailwindcss/forms", "typography": "@tailwindcss/typography"}
_FONT_SUBSETS = ("latin-ext", "latin")  # Google Fonts' default subsets for Latin pages

# Compiles Tailwind through its PostCSS plugin: request JSON on stdin, CSS on stdout. The page's
# classes arrive as `raw` content, so no file of ours is scanned and nothing is written.
_TAILWIND_RUNNER = r"""
const path = require('path');
const dir = process.env.REPLICATOR_NODE_MODULES;
const postcss = require(path.join(dir, 'postcss'));
const tailwind = require(path.join(dir, 'tailwindcss'));
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  try {
    const req = JSON.parse(input);
    const plugins = req.plugins.map((name) => require(path.join(dir, name)));
    const config = Object.assign({}, req.config, {plugins, content: [{raw: req.content, extension: 'html'}]});
    const result = await postcss([tailwind(config)]).process(req.css, {from: undefined});
    process.stdout.write(result.css);
  } catch (err) {
    process.stderr.write(String((err && err.message) || err));
    process.exit(1);
  }
});
"""


# Compiles a React or Vue component into a browser bundle (esbuild, @vue/compiler-sfc).
_COMPONENT_BUILDER = Path(__file__).parent / "stacks" / "build.js"


class AssetLibrary:
    """Inline replacements for well-known CDN assets, built from ``node_modules``."""

    def __init__(
        self,
        node_modules: Path,
        *,
        cache_dir: Path | None = None,
        node: str | None = None,
        tailwind_timeout_s: float = 30.0,
    ) -> None:
        self.node_modules = Path(node_modules)
        self.cache_dir = cache_dir
        self.node = node if node is not None else (shutil.which("node") or shutil.which("nodejs"))
        self.tailwind_timeout_s = tailwind_timeout_s
        self._tailwind_cache: OrderedDict[str, str] = OrderedDict()
        self._components: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._fa_index: dict[bool, list[_FaRule]] = {}

    # --- recognising CDN URLs ---------------------------------------------------------------------

    @staticmethod
    def kind_of(url: str) -> AssetKind | None:
        """Which well-known asset a URL points at, judged by host and file name."""
        parts = urlsplit(url.strip() if "//" in url else "")
        host, path = (parts.hostname or "").lower(), parts.path.lower()
        if not host:
            return None
        if host == "cdn.tailwindcss.com" or "tailwindcss" in path or "/tailwind.min.css" in path:
            return "tailwind"
        if host in ("use.fontawesome.com", "kit.fontawesome.com") or re.search(
            r"font-?awesome|fortawesome", path
        ):
            return "fontawesome"
        if host in ("fonts.googleapis.com", "fonts.bunny.net") and path.startswith("/css"):
            return "google-fonts"
        bootstrap = _BOOTSTRAP_FILE.search(path)
        if bootstrap and "bootstrap" in path.rsplit("/", 1)[0] + host:
            return "bootstrap-css" if bootstrap.group(3) == "css" else "bootstrap-js"
        if _HLJS_STYLE.search(path):
            return "highlightjs-css"
        return None

    # --- Tailwind ---------------------------------------------------------------------------------

    @property
    def tailwind_available(self) -> bool:
        return bool(self.node) and (self.node_modules / "tailwindcss" / "package.json").is_file()

    def tailwind_css(
        self,
        content: str,
        *,
        config: dict[str, Any] | None = None,
        custom_css: str = "",
        plugins: tuple[str, ...] = (),
    ) -> str:
        """Tailwind CSS for the classes in ``content``; raises AssetUnavailable when it cannot build."""
        if not self.tailwind_available:
            raise AssetUnavailable("Node.js or the tailwindcss package is not installed")
        request = {
            "css": "@tailwind base;\n@tailwind components;\n@tailwind utilities;\n" + custom_css,
            "config": {k: v for k, v in (config or {}).items() if k in _TAILWIND_CONFIG_KEYS},
            "content": content,
            "plugins": [
                _TAILWIND_PLUGINS[p]
                for p in plugins
                if p in _TAILWIND_PLUGINS and (self.node_modules / _TAILWIND_PLUGINS[p]).is_dir()
            ],
        }
        payload = json.dumps(request, sort_keys=True)
        key = hashlib.sha256((self._tailwind_version() + payload).encode()).hexdigest()
        with self._lock:
            if key in self._tailwind_cache:
                self._tailwind_cache.move_to_end(key)
                return self._tailwind_cache[key]
        css = self._read_disk_cache(key)
        if css is None:
            css = self._run_tailwind(payload)
            self._write_disk_cache(key, css)
        with self._lock:
            self._tailwind_cache[key] = css
            while len(self._tailwind_cache) > 64:
                self._tailwind_cache.popitem(last=False)
        return css

    def _run_tailwind(self, payload: str) -> str:
        return self._run_node(_TAILWIND_RUNNER, payload, what="the Tailwind build")

    def _run_node(self, script: str, payload: str, *, what: str = "the component build") -> str:
        assert self.node
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "REPLICATOR_NODE_MODULES": str(self.node_modules.resolve()),
            "BROWSERSLIST_IGNORE_OLD_DATA": "1",
            "NODE_ENV": "production",
        }
        try:
            done = subprocess.run(
                [self.node, "-e", script],
                input=payload,
                capture_output=True,
                text=True,
                timeout=self.tailwind_timeout_s,
                env=env,
                cwd=self.node_modules,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssetUnavailable(f"{what} took longer than {self.tailwind_timeout_s:g} s") from exc
        except OSError as exc:
            raise AssetUnavailable(f"Node.js could not be started ({exc})") from exc
        if done.returncode != 0:
            raise AssetUnavailable(f"{what} failed: {done.stderr.strip()[:300]}")
        return done.stdout

    # --- components (React, Vue) -------------------------------------------------------------------

    @property
    def components_available(self) -> bool:
        return bool(self.node) and all(
            (self.node_modules / name / "package.json").is_file() for name in ("esbuild", "react", "vue")
        )

    def compile_component(self, framework: str, code: str, filename: str) -> tuple[str, str]:
        """A browser script that renders ``code`` with its framework, and the component's own CSS
        (a Vue SFC's style blocks). Raises AssetUnavailable when Node.js or the packages are missing
        and ValueError with the compiler's message when the component does not compile."""
        if not self.components_available:
            raise AssetUnavailable("Node.js or the esbuild, react and vue packages are not installed")
        payload = json.dumps({"framework": framework, "code": code, "filename": filename})
        key = hashlib.sha256(payload.encode()).hexdigest()
        with self._lock:
            if key in self._components:
                self._components.move_to_end(key)
                return self._components[key]
        answer = json.loads(self._run_node(_COMPONENT_BUILDER.read_text(encoding="utf-8"), payload) or "{}")
        if "error" in answer or "js" not in answer:
            raise ValueError(str(answer.get("error") or "the compiler gave no output"))
        built = str(answer["js"]), str(answer.get("css") or "")
        with self._lock:
            self._components[key] = built
            while len(self._components) > 16:
                self._components.popitem(last=False)
        return built

    @functools.cache  # noqa: B019 - one library per process; the version never changes under it
    def _tailwind_version(self) -> str:
        try:
            return str(
                json.loads((self.node_modules / "tailwindcss" / "package.json").read_text())["version"]
            )
        except (OSError, ValueError, KeyError):
            return "unknown"

    def _read_disk_cache(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        try:
            return (self.cache_dir / f"tailwind-{key}.css").read_text(encoding="utf-8")
        except OSError:
            return None

    def _write_disk_cache(self, key: str, css: str) -> None:
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_dir / f".tailwind-{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(css, encoding="utf-8")
            tmp.replace(self.cache_dir / f"tailwind-{key}.css")
        except OSError as exc:
            log.warning("could not cache a Tailwind build in %s: %s", self.cache_dir, exc)

    # --- Font Awesome -----------------------------------------------------------------------------

    def fontawesome_css(self, used_classes: set[str], *, legacy: bool = False) -> str:
        """Font Awesome Free CSS for the icons in use, its woff2 fonts inlined as data: URIs.

        Rules that only style unused ``fa-*`` classes are left out; Pro-only styles (light, thin,
        duotone, sharp) fall back to solid. ``legacy`` (a 4.x link) adds the v4 name shims.
        """
        brands = legacy or bool(used_classes & {"fab", "fa-brands"})
        regular = legacy or bool(used_classes & {"far", "fa-regular"})
        out: list[str] = []
        for rule in self._fontawesome_index(legacy):
            if rule.font is not None:
                if (rule.font.startswith("fa-brands") and not brands) or (
                    rule.font.startswith("fa-regular") and not regular
                ):
                    continue
                out.append(rule.text.replace(_FONT_SLOT, self._fontawesome_font(rule.font)))
            elif rule.icon_classes is None or not rule.icon_classes.isdisjoint(used_classes):
                out.append(rule.text)
        # Pro-only styles have no free font; solid is the closest free look.
        out.append(
            ".fa-light,.fa-thin,.fa-duotone,.fa-sharp,.fal,.fat,.fad,.fass{"
            'font-family:"Font Awesome 6 Free";font-weight:900}'
        )
        return "\n".join(out)

    def _fontawesome_font(self, name: str) -> str:
        path = self.node_modules / "@fortawesome" / "fontawesome-free" / "webfonts" / f"{name}.woff2"
        return _data_uri(path, "font/woff2")

    def _fontawesome_index(self, legacy: bool) -> list[_FaRule]:
        """Font Awesome's rules, serialized once per process: the per-page work is a filter."""
        with self._lock:
            if legacy in self._fa_index:
                return self._fa_index[legacy]
        css_dir = self.node_modules / "@fortawesome" / "fontawesome-free" / "css"
        rules = _parse_css(css_dir / "all.min.css") + (
            _parse_css(css_dir / "v4-shims.min.css") if legacy else []
        )
        families = {"Font Awesome 6 Free", "Font Awesome 6 Brands"} | ({"FontAwesome"} if legacy else set())
        index: list[_FaRule] = []
        for rule in rules:
            if isinstance(rule, ast.AtRule) and rule.lower_at_keyword == "font-face":
                text = tinycss2.serialize(rule.content or [])
                family = re.search(r'font-family:\s*"([^"]+)"', text)
                font = re.search(r"webfonts/(fa-[\w-]+)\.woff2", text)
                if family and font and family.group(1) in families:
                    text = re.sub(r"src:[^;}]+", f'src:url({_FONT_SLOT}) format("woff2")', text)
                    index.append(_FaRule(f"@font-face{{{text}}}", None, font.group(1)))
            elif isinstance(rule, ast.QualifiedRule):
                index.append(_FaRule(tinycss2.serialize([rule]), _icon_classes(rule), None))
            elif isinstance(rule, ast.AtRule):
                index.append(_FaRule(tinycss2.serialize([rule]), None, None))
        with self._lock:
            self._fa_index[legacy] = index
        return index

    # --- Bootstrap, highlight.js ------------------------------------------------------------------

    def bootstrap_css(self) -> str:
        return _read_asset(self.node_modules / "bootstrap" / "dist" / "css" / "bootstrap.min.css")

    def bootstrap_js(self) -> str:
        return _read_asset(self.node_modules / "bootstrap" / "dist" / "js" / "bootstrap.bundle.min.js")

    def highlightjs_css(self, url: str) -> str:
        match = _HLJS_STYLE.search(urlsplit(url).path.lower())
        name = match.group(1) if match else "default"
        return _read_asset(self.node_modules / "highlight.js" / "styles" / f"{name}.css")

    # --- Google Fonts -----------------------------------------------------------------------------

    def google_fonts_css(self, url: str) -> tuple[str, list[str]]:
        """@font-face rules for the families a Google Fonts URL asks for, from @fontsource packages.

        Returns the CSS and the families that are not available offline (the page falls back to
        its next font-family, typically a system font).
        """
        faces: list[str] = []
        missing: list[str] = []
        for family, variants in parse_google_fonts_url(url):
            package = self.node_modules / "@fontsource" / re.sub(r"\s+", "-", family.strip().lower())
            meta = _fontsource_meta(package)
            if meta is None:
                missing.append(family)
                continue
            weights = sorted({w for w, _ in variants})
            available = set(meta["weights"])
            for weight in weights:
                for italic in sorted({i for w, i in variants if w == weight}):
                    if weight not in available:
                        continue
                    faces.extend(_fontsource_faces(package, meta, weight, italic))
        return "\n".join(faces), missing


@dataclass(frozen=True)
class _FaRule:
    text: str
    icon_classes: frozenset[str] | None  # kept only when the page uses one of these; None: always kept
    font: str | None  # an @font-face of this webfont (its src is _FONT_SLOT until inlined)


_FONT_SLOT = "\x00font\x00"


EDITOR_BUNDLE = ".replicator-editor.js"  # in node_modules: built from web/static/editor-entry.js
# Bundles the editor with esbuild: {entry, out} on stdin.
_EDITOR_BUILDER = r"""
const path = require('path');
const dir = process.env.REPLICATOR_NODE_MODULES;
const esbuild = require(path.join(dir, 'esbuild'));
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  esbuild.build({
    entryPoints: [req.entry], bundle: true, format: 'esm', minify: true, legalComments: 'none',
    nodePaths: [dir], outfile: req.out, logLevel: 'error', target: 'es2020',
  }).catch((err) => { process.stderr.write(String(err && err.message || err)); process.exit(1); });
});
"""


def build_editor_bundle(node_modules: Path, entry: Path, *, node: str | None = None) -> Path:
    """Bundle the job page's code editor (CodeMirror 6, from node_modules) into one ES module.

    Written to node_modules/.replicator-editor.js (next to the packages it is made of) and rebuilt
    only when the entry is newer. Raises AssetUnavailable when Node.js or esbuild is missing."""
    out = Path(node_modules) / EDITOR_BUNDLE
    if out.is_file() and out.stat().st_mtime >= entry.stat().st_mtime:
        return out
    library = AssetLibrary(Path(node_modules), node=node)
    partial = out.with_suffix(".partial.js")
    try:
        if not library.node or not (library.node_modules / "esbuild" / "package.json").is_file():
            raise AssetUnavailable("Node.js or the esbuild package is not installed")
        payload = json.dumps({"entry": str(entry.resolve()), "out": str(partial.resolve())})
        library._run_node(_EDITOR_BUILDER, payload, what="the editor bundle")
    except AssetUnavailable:
        partial.unlink(missing_ok=True)
        if out.is_file():  # an older bundle (a read-only install) still edits code
            return out
        raise
    partial.replace(out)
    return out


class AssetUnavailable(Exception):
    """A local asset could not be produced (no Node.js, a failed build); sanitize falls back."""


def parse_google_fonts_url(url: str) -> list[tuple[str, set[tuple[int, bool]]]]:
    """Families and (weight, italic) variants of a Google Fonts css or css2 URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    out: list[tuple[str, set[tuple[int, bool]]]] = []
    specs = query.get("family", [])
    if parts.path.rstrip("/").endswith("/css"):  # css v1: family=Roboto:400,700i|Open+Sans
        specs = [s for spec in specs for s in spec.split("|")]
        for spec in specs:
            name, _, variants = spec.partition(":")
            out.append((name, _v1_variants(variants)))
        return out
    for spec in specs:  # css2: family=Roboto:ital,wght@0,400;1,700
        name, _, axes = spec.partition(":")
        out.append((name, _css2_variants(axes)))
    return out


def _v1_variants(spec: str) -> set[tuple[int, bool]]:
    variants: set[tuple[int, bool]] = set()
    for item in filter(None, spec.split(",")):
        item = item.strip().lower()
        italic = item.endswith(("italic", "i"))
        digits = re.match(r"\d+", item)
        weight = int(digits.group()) if digits else (700 if item.startswith("bold") else 400)
        variants.add((weight, italic))
    return variants or {(400, False)}


def _css2_variants(axes: str) -> set[tuple[int, bool]]:
    if "@" not in axes:
        return {(400, False)}
    names, _, tuples = axes.partition("@")
    keys = names.split(",")
    variants: set[tuple[int, bool]] = set()
    for item in tuples.split(";"):
        values = dict(zip(keys, item.split(","), strict=False))
        italic = values.get("ital", "0") == "1"
        weight = values.get("wght", "400")
        if ".." in weight:  # a variable range: every static weight inside it
            low, high = (int(float(x)) for x in weight.split(".."))
            variants.update((w, italic) for w in range(100, 1000, 100) if low <= w <= high)
        elif weight.replace(".", "").isdigit():
            variants.add((int(float(weight)), italic))
    return variants or {(400, False)}


@functools.lru_cache(maxsize=32)
def _fontsource_meta(package: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((package / "metadata.json").read_text())
        meta["unicode"] = json.loads((package / "unicode.json").read_text())
    except (OSError, ValueError):
        return None
    return dict(meta)


def _fontsource_faces(package: Path, meta: dict[str, Any], weight: int, italic: bool) -> list[str]:
    style = "italic" if italic else "normal"
    faces = []
    for subset in _FONT_SUBSETS:
        font = package / "files" / f"{meta['id']}-{subset}-{weight}-{style}.woff2"
        if not font.is_file():
            continue
        unicode_range = meta["unicode"].get(subset)
        faces.append(
            f"@font-face{{font-family:'{meta['family']}';font-style:{style};font-display:swap;"
            f"font-weight:{weight};src:url({_data_uri(font, 'font/woff2')}) format('woff2')"
            + (f";unicode-range:{unicode_range}" if unicode_range else "")
            + "}"
        )
    return faces


@functools.lru_cache(maxsize=64)
def _data_uri(path: Path, media_type: str) -> str:
    return f"data:{media_type};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@functools.lru_cache(maxsize=16)
def _read_asset(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # Source-map comments make devtools fetch the map; a self-contained file has none.
    return re.sub(r"/[*/]#\s*sourceMappingURL=[^\n*]*(\*/)?", "", text)


@functools.lru_cache(maxsize=8)
def _parse_css_cached(path: Path) -> tuple[ast.Node, ...]:
    return tuple(
        tinycss2.parse_stylesheet(path.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True)
    )


def _parse_css(path: Path) -> list[ast.Node]:
    return list(_parse_css_cached(path))


_ICON_SELECTOR = re.compile(r"^\.(fa-[\w-]+)(?:::?(?:before|after))?$")
_SHIM_SELECTOR = re.compile(r"^\.fa\.(fa-[\w-]+)(?:::?(?:before|after))?$")


def _icon_classes(rule: ast.QualifiedRule) -> frozenset[str] | None:
    """The ``fa-*`` classes of a rule whose every selector is one icon class (or v4 shim), else None."""
    classes = []
    for selector in tinycss2.serialize(rule.prelude).split(","):
        match = _ICON_SELECTOR.match(selector.strip()) or _SHIM_SELECTOR.match(selector.strip())
        if not match:
            return None
        classes.append(match.group(1))
    return frozenset(classes)
