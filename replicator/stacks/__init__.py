"""Output stacks: the code a job delivers, in the stack its user works in.

Every stack ends as a self-contained preview document that the sanitizer, renderer and score treat
like any page; what differs is the code a developer takes away:

- ``html-css``: one HTML document with its stylesheet (the default);
- ``html-tailwind``: one HTML document styled with Tailwind utilities (Play CDN script, built
  offline from the local Tailwind package when rendered);
- ``bootstrap``: one HTML document styled with Bootstrap 5 classes (plus a small stylesheet for
  what they cannot say);
- ``react-tailwind``: one function component in JSX, styled with Tailwind;
- ``vue-tailwind``: one single-file component, styled with Tailwind.

``convert`` turns a plain HTML + CSS page (the local backend's output) into any of them;
``preview`` compiles a component with the framework's own compiler into its preview document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StackName = Literal["html-css", "html-tailwind", "bootstrap", "react-tailwind", "vue-tailwind"]


@dataclass(frozen=True)
class Stack:
    name: StackName
    label: str
    filename: str  # the name of the downloaded code file
    media_type: str
    framework: Literal["react", "vue"] | None = None  # compiled into a preview when set
    fences: tuple[str, ...] = ("html",)  # code-block languages a model answers in

    @property
    def is_component(self) -> bool:
        return self.framework is not None


STACKS: dict[str, Stack] = {
    s.name: s
    for s in (
        Stack("html-css", "HTML + CSS", "page.html", "text/html"),
        Stack("html-tailwind", "HTML + Tailwind", "page.html", "text/html"),
        Stack("bootstrap", "HTML + Bootstrap 5", "page.html", "text/html"),
        Stack(
            "react-tailwind",
            "React + Tailwind",
            "Page.jsx",
            "text/javascript",
            framework="react",
            fences=("jsx", "tsx", "javascript", "js", "react"),
        ),
        Stack(
            "vue-tailwind",
            "Vue + Tailwind",
            "Page.vue",
            "text/plain",
            framework="vue",
            fences=("vue", "html", "sfc"),
        ),
    )
}
STACK_NAMES: tuple[str, ...] = tuple(STACKS)
DEFAULT_STACK = "html-css"


def stack_named(name: str) -> Stack:
    """The stack called ``name``; a ValueError that lists the choices for anything else."""
    try:
        return STACKS[name]
    except KeyError:
        raise ValueError(f"unknown stack {name!r}: choose one of {', '.join(STACK_NAMES)}") from None
