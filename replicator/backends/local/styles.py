"""The stylesheet of an emitted page: base rules, named classes shared by look-alikes, utilities.

Appearance lives in named classes deduplicated by their declarations (``.btn``, ``.card``, ``.h2``),
measured spacing and sizes in small utility classes (``.mt-12``, ``.w-320``); classes are named in
order of first use, so output is deterministic.
"""

from __future__ import annotations

from ...models import RGB

_BASE_CSS = """*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{-webkit-font-smoothing:antialiased}
.page{display:flex;flex-direction:column;align-items:flex-start;width:100%;position:relative}
.col{display:flex;flex-direction:column;align-items:flex-start}
.row{display:flex;flex-direction:row;align-items:flex-start}
.stack{position:relative}
.abs{position:absolute}
.items-center{align-items:center}
.self-center{align-self:center}
.self-end{align-self:flex-end}
.self-stretch{align-self:stretch}
.ml-auto{margin-left:auto}
.mx-auto{margin-left:auto;margin-right:auto}
.w-full{width:100%}
.nowrap{white-space:nowrap}
.flex-none{flex:none}
.fluid{flex:0 1 auto;min-width:0}
img{display:block;max-width:100%;height:auto}
.layered{position:relative;z-index:0}
.shapes{position:absolute;z-index:-1;pointer-events:none}
h1,h2,h3,h4,p,hr{margin:0}
a{text-decoration:none}
button,input,textarea{margin:0;font:inherit}
"""


def fluid(classes: list[str]) -> bool:
    """Whether placement classes already size an element by its container (no fixed width)."""
    return any(c in ("self-stretch", "w-full", "fluid") or c.startswith("wp-") for c in classes)


def hex_color(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def px(value: float) -> str:
    rounded = round(value, 1)
    return f"{int(rounded)}px" if rounded == int(rounded) else f"{rounded}px"


class StyleSheet:
    """Named classes, deduplicated by their declarations, named in order of first use."""

    def __init__(self) -> None:
        self._by_decls: dict[tuple[tuple[str, str], ...], str] = {}
        self._rules: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self._used: dict[str, int] = {}
        self._extra: list[str] = []
        self._utilities: dict[str, str] = {}

    def named(self, base: str, decls: dict[str, str]) -> str:
        key = tuple(decls.items())
        if key in self._by_decls:
            return self._by_decls[key]
        count = self._used.get(base, 0) + 1
        self._used[base] = count
        name = base if count == 1 else f"{base}-{count}"
        self._by_decls[key] = name
        self._rules.append((name, key))
        return name

    def util(self, prefix: str, prop: str, value: float) -> str:
        number = round(value)
        name = f"{prefix}-{number}" if number >= 0 else f"{prefix}-n{-number}"
        self._utilities.setdefault(name, f"{prop}:{number}px")
        return name

    def share(self, fraction: float) -> str:
        """A width as a share of the container (``wp-6375``: 63.75%, in hundredths of a percent,
        fine enough to land on the measured pixel)."""
        hundredths = round(fraction * 10000)
        name = f"wp-{hundredths}"
        self._utilities.setdefault(name, f"width:{hundredths / 100:g}%")
        return name

    def extra(self, rule: str) -> None:
        if rule not in self._extra:
            self._extra.append(rule)

    def css(self) -> str:
        lines = [_BASE_CSS.strip()]
        for name, decls in self._rules:
            lines.append(f".{name}{{{';'.join(f'{k}:{v}' for k, v in decls)}}}")
        lines.extend(self._extra)

        def order(name: str) -> tuple[str, int]:
            prefix, _, number = name.rpartition("-")
            negative = number.startswith("n")
            value = int(number[1:] if negative else number)
            return (prefix, -value if negative else value)

        for name in sorted(self._utilities, key=order):
            lines.append(f".{name}{{{self._utilities[name]}}}")
        return "\n".join(lines)
