"""A component's preview: one self-contained document that renders it with its framework's runtime.

The component is compiled by the framework's own tools (esbuild for JSX, @vue/compiler-sfc for a
single-file component) from the local ``node_modules``; Tailwind's CSS is built for the classes the
component's source uses. The document carries the runtime, the component and the CSS inline, so it
renders in the sealed browser with the network off, like any other page.
"""

from __future__ import annotations

import html as html_lib

from ..assets import AssetLibrary, AssetUnavailable
from ..errors import ComponentError, ConfigurationError
from . import Stack


def component_preview(code: str, stack: Stack, assets: AssetLibrary, *, title: str = "Preview") -> str:
    """The preview document of ``code`` (a component in ``stack``); ComponentError if it does not
    compile, ConfigurationError if the compilers are not installed."""
    assert stack.framework is not None
    try:
        js, own_css = assets.compile_component(stack.framework, code, stack.filename)
        tailwind = assets.tailwind_css(code)
    except ValueError as exc:
        raise ComponentError(
            f"The {stack.label} component does not compile: {exc}",
            hint="Fix the component's code (its line and column are in the message) and try again.",
        ) from exc
    except AssetUnavailable as exc:
        raise ConfigurationError(
            f"Cannot build the {stack.label} preview: {exc}.", hint="Run `make setup` to install them."
        ) from exc
    styles = "".join(f"<style>\n{_in_style(css)}\n</style>\n" for css in (tailwind, own_css) if css.strip())
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_lib.escape(title)}</title>\n{styles}</head>\n<body>\n"
        f'<div id="root"></div>\n<script>\n{_in_script(js)}\n</script>\n</body>\n</html>\n'
    )


def _in_script(js: str) -> str:
    """``js`` safe inside a <script> element: nothing in it can end the element or open a comment."""
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")


def _in_style(css: str) -> str:
    return css.replace("</style", "<\\/style")
