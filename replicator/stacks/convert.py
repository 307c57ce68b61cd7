"""A plain HTML + CSS page (the local backend's) restated in another stack."""

from __future__ import annotations

from dataclasses import replace

from bs4 import BeautifulSoup

from . import bootstrap, tailwind
from .component import react_component, vue_component
from .utilities import Converted, restate

TAILWIND_CDN = "https://cdn.tailwindcss.com"
# What Reboot changes that a page written without Bootstrap relies on: rules drawn at full
# strength, pictures on the text baseline, labels inline, body text at the browser's line height.
_REBOOT_UNDONE = (
    "hr{opacity:1;color:inherit}\nimg,svg{vertical-align:baseline}\nlabel{display:inline}\n"
    "body{line-height:normal}"
)
BOOTSTRAP_CSS = "https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css"


def from_html(html: str, stack: str) -> str:
    """``html`` (a document with one class stylesheet) as code in ``stack``."""
    if stack == "html-css":
        return html
    if stack == "bootstrap":
        page = restate(html, bootstrap.utilities)
        # Bootstrap's Reboot restyles a few elements the page drew with the browser's defaults.
        page = replace(page, css=f"{_REBOOT_UNDONE}\n{page.css}" if page.css else _REBOOT_UNDONE)
        return _document(page, BOOTSTRAP_CSS, "link")
    page = restate(html, tailwind.utilities)
    if stack == "html-tailwind":
        return _document(page, TAILWIND_CDN, "script")
    if stack == "react-tailwind":
        return react_component(page)
    if stack == "vue-tailwind":
        return vue_component(page)
    raise ValueError(f"unknown stack {stack!r}")


def _document(page: Converted, href: str, kind: str) -> str:
    """The page with its styles replaced by the framework's file and the stylesheet that is left."""
    soup: BeautifulSoup = page.soup
    for style in soup.find_all("style"):
        style.decompose()
    head = soup.head
    if head is None:
        head = soup.new_tag("head")
        (soup.html or soup).insert(0, head)
    if kind == "script":
        tag = soup.new_tag("script", src=href)
    else:
        tag = soup.new_tag("link", rel="stylesheet", href=href)
    head.append(tag)
    head.append("\n")
    if page.css:
        style = soup.new_tag("style")
        style.string = "\n" + page.css + "\n"
        head.append(style)
        head.append("\n")
    return str(soup)
