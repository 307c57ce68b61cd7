"""Real controls from screenshots: pages drawn by Chromium, read back by the local backend, and the
replica's markup inspected (fields, checkboxes, radios, switches, selects, buttons; no header bar
taken for a field)."""

from __future__ import annotations

import html5lib

from replicator.backends.local.page import build_page
from replicator.models import Viewport
from replicator.render import SealedBrowserPool

BASE_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;font:15px 'DejaVu Sans',sans-serif;color:#212529}
label{display:block;font-size:14px;margin:0 0 6px}
.field{width:100%;height:40px;border:1px solid #ced4da;border-radius:6px;background:#fff;padding:0 12px;
  font:15px 'DejaVu Sans',sans-serif;color:#212529;margin:0 0 18px}
.field::placeholder{color:#8a939b}
.btn{height:42px;width:100%;border:0;border-radius:6px;background:#2563eb;color:#fff;
  font:bold 15px 'DejaVu Sans',sans-serif}
.check{display:flex;align-items:center;gap:8px;margin:0 0 20px;font-size:14px}
.check input{width:16px;height:16px;margin:0}
"""

LOGIN = f"""<!doctype html><html><head><style>{BASE_CSS}
.card{{width:400px;margin:60px auto;background:#fff;border-radius:10px;padding:32px;border:1px solid #e5e7eb}}
h1{{font-size:24px;margin:0 0 24px}}
</style></head><body><div class="card"><h1>Sign in</h1>
<label>Email address</label><input class="field" type="email" placeholder="you@example.com">
<label>Password</label><input class="field" type="password" value="secret12">
<div class="check"><input type="checkbox" checked><span>Remember me</span></div>
<button class="btn">Sign in</button></div></body></html>"""

SETTINGS = f"""<!doctype html><html><head><style>{BASE_CSS}
.card{{width:520px;margin:40px auto;background:#fff;border-radius:10px;padding:28px;border:1px solid #e5e7eb}}
.field{{width:300px}}
select.field{{appearance:none;background:#fff url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath fill='none' stroke='%23343a40' stroke-width='2' d='m2 5 6 6 6-6'/%3E%3C/svg%3E") no-repeat right 12px center/12px}}
.radio{{display:flex;gap:24px;margin:0 0 20px}}
.radio span{{display:flex;align-items:center;gap:8px;font-size:14px}}
.radio input{{width:16px;height:16px;margin:0}}
.check .switch{{appearance:none;width:40px;height:22px;border-radius:11px;margin:0;
  background:radial-gradient(circle at 11px 50%,#fff 0 8px,transparent 8.5px) #d1d5db}}
.check .switch:checked{{background:radial-gradient(circle at 29px 50%,#fff 0 8px,transparent 8.5px) #2563eb}}
</style></head><body><div class="card">
<label>Country</label><select class="field"><option>Portugal</option></select>
<div class="radio"><span><input type="radio" name="p" checked>Monthly</span><span><input type="radio" name="p">Yearly</span></div>
<div class="check"><input class="switch" type="checkbox" checked><span>Email alerts</span></div>
</div></body></html>"""

CARD = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#f8f9fc}}
.card{{width:560px;margin:40px;background:#fff;border:1px solid #e3e6f0;border-radius:6px}}
.head{{background:#f8f9fc;border-bottom:1px solid #e3e6f0;padding:14px 18px;color:#4e73df;font-weight:bold}}
.body{{padding:18px;line-height:1.6}}
.stat{{width:280px;margin:0 40px;background:#fff;border:1px solid #e3e6f0;border-left:4px solid #1cc88a;
  border-radius:6px;padding:18px}}
.stat b{{display:block;font-size:20px;color:#5a5c69}}
</style></head><body>
<div class="card"><div class="head">Development Approach</div>
<div class="body">Utility classes keep the stylesheet small and the pages quick to load.</div></div>
<div class="stat"><span>Earnings (annual)</span><b>$215,000</b></div>
</body></html>"""


async def _replica(
    pool: SealedBrowserPool, page: str, width: int = 900, height: int = 560
) -> tuple[str, object]:
    shot = await pool.render(page, Viewport(width, height))
    replica = build_page(shot.png)
    return replica, html5lib.parse(replica, namespaceHTMLElements=False)


def _inputs(document: object, kind: str) -> list:  # type: ignore[type-arg]
    return [e for e in document.iter("input") if (e.get("type") or "text") == kind]  # type: ignore[attr-defined]


async def test_a_login_form_becomes_fields_a_checkbox_and_a_button(browser_pool: SealedBrowserPool) -> None:
    _, document = await _replica(browser_pool, LOGIN)
    email = _inputs(document, "email")
    assert len(email) == 1 and email[0].get("placeholder") == "you@example.com"
    password = _inputs(document, "password")
    assert len(password) == 1 and len(password[0].get("value") or "") == 8
    (checkbox,) = _inputs(document, "checkbox")
    assert checkbox.get("checked") is not None
    label = next(e for e in document.iter("label") if (e.text or "").strip() == "Remember me")  # type: ignore[attr-defined]
    assert label.get("for") == checkbox.get("id")
    buttons = [e for e in document.iter("button") if (e.text or "").strip() == "Sign in"]  # type: ignore[attr-defined]
    assert len(buttons) == 1


async def test_a_select_radios_and_a_switch_keep_their_kind_and_state(
    browser_pool: SealedBrowserPool,
) -> None:
    replica, document = await _replica(browser_pool, SETTINGS)
    (select,) = list(document.iter("select"))  # type: ignore[attr-defined]
    assert [o.text for o in select.iter("option")] == ["Portugal"]
    radios = _inputs(document, "radio")
    assert [r.get("checked") is not None for r in radios] == [True, False]
    assert radios[0].get("name") == radios[1].get("name")
    (switch,) = [e for e in _inputs(document, "checkbox") if e.get("role") == "switch"]
    assert switch.get("checked") is not None
    # Drawn by CSS for both states, in the measured colors.
    assert ":checked{" in replica and "#2563eb" in replica.lower()


async def test_a_card_header_bar_is_no_field_and_a_colored_left_edge_stays(
    browser_pool: SealedBrowserPool,
) -> None:
    replica, document = await _replica(browser_pool, CARD)
    assert not list(document.iter("input")) and not list(document.iter("textarea"))  # type: ignore[attr-defined]
    texts = [" ".join((e.text or "").split()) for e in document.iter()]  # type: ignore[attr-defined]
    assert "Development Approach" in texts
    # The stat card's 4 px green left edge (#1cc88a) and its 1 px light outline.
    css = replica.lower()
    assert any(
        f"border-left:4px solid #{g}" in css
        for g in ("1cc88a", "1cc98a", "1dc88a", "1cc889", "1bc88a", "1cc78a")
    ), css[:3000]


def _bi(name: str) -> str:
    """A Bootstrap Icons glyph inline, as the icon font draws it (from the npm package)."""
    from pathlib import Path

    svg = (
        Path(__file__).resolve().parent.parent / "node_modules/bootstrap-icons/icons" / f"{name}.svg"
    ).read_text()
    return svg.replace('width="16" height="16"', 'width="16" height="16" style="flex:none"')


ACCORDION = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#fff}}
.acc{{width:760px;margin:30px 40px;border:1px solid #dee2e6;border-radius:6px}}
.item{{display:flex;align-items:center;justify-content:space-between;height:54px;padding:0 20px;
  border-top:1px solid #dee2e6}}
.item:first-child{{border-top:0;background:#cfe2ff;color:#052c65}}
.panel{{padding:16px 20px;border-top:1px solid #dee2e6}}
.form{{margin:0 40px;width:520px}}
.form select.field{{width:520px}}
</style></head><body>
<div class="acc">
<div class="item"><span>Can I change plans later?</span>{_bi("chevron-up")}</div>
<div class="panel">Yes. Upgrades take effect at once; downgrades at the end of the period.</div>
<div class="item"><span>Do you take a cut of paid subscriptions?</span>{_bi("chevron-down")}</div>
<div class="item"><span>What happens if I go over my limit?</span>{_bi("chevron-down")}</div>
</div>
<div class="form"><label>Time zone</label><select class="field"><option>Europe/Lisbon</option></select></div>
</body></html>"""


async def test_accordion_headers_become_buttons_and_a_wide_select_stays_a_select(
    browser_pool: SealedBrowserPool,
) -> None:
    _replica_html, document = await _replica(browser_pool, ACCORDION, width=900, height=420)
    headers = [b for b in document.iter("button") if b.get("aria-expanded") is not None]  # type: ignore[attr-defined]
    texts = [" ".join("".join(b.itertext()).split()) for b in headers]
    assert texts == [
        "Can I change plans later?",
        "Do you take a cut of paid subscriptions?",
        "What happens if I go over my limit?",
    ]
    # The open one shows its chevron up; each keeps its chevron as a real icon.
    assert [b.get("aria-expanded") for b in headers] == ["true", "false", "false"]
    icons = [[e.get("class", "") for e in b.iter() if str(e.tag).endswith(("svg", "i"))] for b in headers]
    assert [[c for c in found if "bi-chevron" in c] != [] for found in icons] == [True, True, True]
    (select,) = list(document.iter("select"))  # type: ignore[attr-defined]
    assert [o.text for o in select.iter("option")] == ["Europe/Lisbon"]


FAQ_CARDS = f"""<!doctype html><html><head><style>{BASE_CSS}
.q{{width:760px;margin:0 40px 10px;background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.12);
  padding:18px 24px;font:bold 17px 'DejaVu Sans',sans-serif;color:#1f2937}}
.q::after{{content:var(--sign);float:right;color:#2563eb;font-size:20px;line-height:1}}
.form{{margin:30px 40px;width:520px}}
</style></head><body><div style="height:30px"></div>
<div class="q" style="--sign:'+'">Do you use cookies?</div>
<div class="q" style="--sign:'\\2212'">Can I import data from another tool?</div>
<div class="q" style="--sign:'+'">What happens when I go over my plan?</div>
<div class="form"><label>Time zone</label><select class="field"><option>Europe/Lisbon</option></select></div>
</body></html>"""


async def test_a_card_ending_in_a_plus_or_minus_sign_is_not_a_select(browser_pool: SealedBrowserPool) -> None:
    """FAQ cards apart from each other, each ending in an accent-colored "+" or "-": a select's caret
    is never a sign, so none of them becomes a select; the real select beside them stays one."""
    _replica_html, document = await _replica(browser_pool, FAQ_CARDS, width=900, height=420)
    selects = list(document.iter("select"))  # type: ignore[attr-defined]
    assert [[o.text for o in s.iter("option")] for s in selects] == [["Europe/Lisbon"]]
    text = " ".join("".join(document.itertext()).split())  # type: ignore[attr-defined]
    for question in (
        "Do you use cookies?",
        "Can I import data from another tool?",
        "What happens when I go over my plan?",
    ):
        assert question in text


SIDEBAR_APP = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{display:flex;background:#f4f6fb}}
aside{{width:240px;height:560px;background:#101828;padding-top:70px}}
.nav{{display:flex;align-items:center;gap:12px;height:40px;padding:0 22px;color:#cbd5e1;font-size:15px}}
.nav.active{{background:#1d2939;color:#fff;margin:0 8px;padding:0 14px;border-radius:8px}}
.nav svg{{color:inherit}}
main{{flex:1;padding:24px 32px}}
.top{{display:flex;gap:16px;align-items:center}}
.search{{position:relative;width:320px}}
.search svg{{position:absolute;left:14px;top:12px;color:#6b7280}}
.search input{{width:100%;height:40px;border:1px solid #d0d5dd;border-radius:8px;background:#fff;
  padding:0 0 0 40px;font:15px 'DejaVu Sans',sans-serif}}
.search input::placeholder{{color:#98a2b3}}
.bell{{width:40px;height:40px;border:1px solid #d0d5dd;border-radius:8px;background:#fff;display:flex;
  align-items:center;justify-content:center;color:#344054}}
</style></head><body>
<aside>
<div class="nav active">{_bi("grid-1x2")}<span>Overview</span></div>
<div class="nav">{_bi("bar-chart-line")}<span>Analytics</span></div>
<div class="nav">{_bi("envelope")}<span>Invoices</span></div>
<div class="nav">{_bi("people")}<span>Customers</span></div>
</aside>
<main><div class="top">
<div class="search">{_bi("search")}<input type="search" placeholder="Search transactions"></div>
<button class="bell" type="button">{_bi("bell")}</button>
</div></main></body></html>"""


async def test_a_side_menu_s_current_item_is_a_link_a_search_field_keeps_its_icon_and_an_icon_button_is_a_button(
    browser_pool: SealedBrowserPool,
) -> None:
    """The highlighted current item of a side menu is a link like the plain items aligned with it;
    a field led by a magnifier is a search field that shows the magnifier; a bordered square
    holding only a bell is a button named for it."""
    _replica_html, document = await _replica(browser_pool, SIDEBAR_APP, width=900, height=560)
    links = [" ".join("".join(a.itertext()).split()) for a in document.iter("a")]  # type: ignore[attr-defined]
    for item in ("Overview", "Analytics", "Invoices", "Customers"):
        assert item in links, links
    (search,) = _inputs(document, "search")
    assert search.get("placeholder") == "Search transactions"
    holder = next(d for d in document.iter("div") if search in list(d))  # type: ignore[attr-defined]
    assert any(str(e.tag).endswith("svg") and "bi-search" in (e.get("class") or "") for e in holder.iter())
    named = [b.get("aria-label") for b in document.iter("button")]  # type: ignore[attr-defined]
    assert "bell" in named, named


FORM_ACTIONS = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#fff}}
.wrap{{margin:30px 40px;width:720px}}
.card{{background:#fff;border-radius:8px;box-shadow:0 2px 6px rgba(0,0,0,.18);padding:16px 20px;margin:0 0 24px}}
.todo{{display:flex;align-items:center;gap:12px;height:36px;font-weight:bold;font-size:14px}}
.todo input{{width:16px;height:16px;margin:0}}
.tags{{display:flex;gap:8px;margin:0 0 24px}}
.tag{{display:flex;align-items:center;gap:6px;height:26px;padding:0 6px 0 10px;border-radius:6px;
  background:#e6fffa;color:#0f766e;font-size:13px}}
.tag svg{{color:#64748b}}
.pay{{display:flex;gap:40px;margin:0 0 28px}}
.pay label{{display:flex;align-items:center;gap:10px;margin:0;font-size:14px}}
.pay input{{appearance:none;width:16px;height:16px;margin:0;border:1px solid #6b7280;border-radius:50%;background:#fff}}
.pay input:checked{{border:0;background:radial-gradient(circle,#fff 0 3px,#d97706 3.5px)}}
.actions{{display:flex;align-items:center;gap:28px}}
.ghost{{font-size:15px;color:#374151}}
.cta{{display:flex;align-items:center;gap:10px;height:44px;padding:0 22px;border:0;border-radius:8px;
  background:#ff7a45;color:#fff;font:bold 15px 'DejaVu Sans',sans-serif}}
</style></head><body><div class="wrap">
<div class="card">
<div class="todo"><input type="checkbox"><span>Send crane rota</span></div>
<div class="todo"><input type="checkbox"><span>Renew customs bond</span></div>
<div class="todo"><input type="checkbox"><span>Review reefer alarms</span></div>
</div>
<div class="tags"><span class="tag">estuary{_bi("x-circle-fill")}</span><span class="tag">nitrates{_bi("x-circle-fill")}</span></div>
<div class="pay">
<label><input type="radio" name="m" checked>{_bi("credit-card")}<span>Card</span></label>
<label><input type="radio" name="m">{_bi("paypal")}<span>PayPal</span></label>
</div>
<div class="actions"><span class="ghost">Cancel</span>
<button class="cta" type="button">Start free trial{_bi("arrow-right")}</button></div>
</div></body></html>"""


async def test_todo_checkboxes_in_a_shadowed_card_tag_removers_radios_with_logos_and_form_actions(
    browser_pool: SealedBrowserPool,
) -> None:
    """Checkboxes in a card whose shadow rings them all are still checkboxes; a tag's remove mark
    is a button of its own; radios whose labels lead with a logo keep their labels and the
    checked one (a filled disc) is a radio; a button ending with an arrow is a button (no select),
    and a bare "Cancel" on its line is a link."""
    _replica_html, document = await _replica(browser_pool, FORM_ACTIONS, width=900, height=520)
    checkboxes = _inputs(document, "checkbox")
    assert len(checkboxes) == 3 and not any(c.get("checked") is not None for c in checkboxes)
    removers = [b for b in document.iter("button") if b.get("aria-label") == "Remove"]  # type: ignore[attr-defined]
    assert len(removers) == 2
    radios = _inputs(document, "radio")
    assert [r.get("checked") is not None for r in radios] == [True, False]
    labels = {" ".join("".join(label.itertext()).split()) for label in document.iter("label")}  # type: ignore[attr-defined]
    assert {"Card", "PayPal"} <= labels, labels
    assert not list(document.iter("select"))  # type: ignore[attr-defined]
    (cta,) = [b for b in document.iter("button") if "Start free trial" in "".join(b.itertext())]  # type: ignore[attr-defined]
    assert str(list(cta)[-1].tag).endswith("svg")  # the arrow after the label
    assert "Cancel" in [" ".join("".join(a.itertext()).split()) for a in document.iter("a")]  # type: ignore[attr-defined]


SENTENCE_AND_LINK = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#fff}}
p{{margin:60px 40px;font-size:15px;color:#4b5563}}
p a{{color:#2563eb;font-weight:bold;text-decoration:none}}
</style></head><body><p>Already have an account? <a href="#">Log in here</a></p></body></html>"""


async def test_a_sentence_and_its_bold_link_stay_one_line_with_its_space(
    browser_pool: SealedBrowserPool,
) -> None:
    """A line read as two pieces (the sentence, and its bold link) is set as one: the link inside
    the sentence after a real space, so the line reads and copies as the source's."""
    _replica_html, document = await _replica(browser_pool, SENTENCE_AND_LINK, width=600, height=200)
    (link,) = [a for a in document.iter("a") if "Log in" in "".join(a.itertext())]  # type: ignore[attr-defined]
    holder = next(e for e in document.iter() if link in list(e))  # type: ignore[attr-defined]
    # The sentence's own element holds the link, after the space (not two boxes side by side).
    assert holder.text == "Already have an account? "
    assert " ".join("".join(holder.itertext()).split()) == "Already have an account? Log in here"


LIST_AND_BADGES = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#fff}}
.list{{width:340px;margin:30px 40px;border:1px solid #dee2e6;border-radius:4px}}
.item{{display:flex;align-items:center;gap:10px;height:40px;padding:0 16px;border-top:1px solid #dee2e6;
  color:#212529}}
.item:first-child{{border-top:0}}
.item.active{{background:#0d6efd;color:#fff}}
.item svg{{color:inherit}}
.stores{{display:flex;gap:14px;margin:0 40px}}
.store{{display:flex;align-items:center;gap:10px;height:52px;padding:0 16px;border-radius:12px;
  background:#111827;color:#fff}}
.store small{{display:block;font-size:11px;line-height:14px}}
.store b{{display:block;font-size:17px;line-height:22px}}
.bell{{position:relative;width:44px;height:44px;margin:24px 40px;border-radius:12px;background:#111827;
  display:flex;align-items:center;justify-content:center;color:#fff}}
.bell i{{position:absolute;top:8px;right:8px;width:8px;height:8px;border-radius:4px;background:#f97316}}
</style></head><body>
<div class="list">
<div class="item">{_bi("globe")}<span>World</span></div>
<div class="item active">{_bi("bank")}<span>Politics</span></div>
<div class="item">{_bi("cpu")}<span>Technology</span></div>
<div class="item">{_bi("tree")}<span>Climate</span></div>
</div>
<div class="stores">
<div class="store">{_bi("apple")}<span><small>Download on the</small><b>App Store</b></span></div>
<div class="store">{_bi("google-play")}<span><small>Get it on</small><b>Google Play</b></span></div>
</div>
<div class="bell">{_bi("bell")}<i></i></div>
</body></html>"""


async def test_a_selected_list_item_store_badges_and_a_bell_with_its_dot(
    browser_pool: SealedBrowserPool,
) -> None:
    """A list's selected item (a strong blue fill) is a link like its neighbours, never a field;
    a store badge (a logo and two lines) is one link; a bell button keeps its notification dot."""
    replica_html, document = await _replica(browser_pool, LIST_AND_BADGES, width=700, height=420)
    assert not [e for e in document.iter("input") if (e.get("type") or "text") not in ("checkbox", "radio")]  # type: ignore[attr-defined]
    links = [" ".join("".join(a.itertext()).split()) for a in document.iter("a")]  # type: ignore[attr-defined]
    for item in ("Politics", "World", "Technology", "Download on the App Store", "Get it on Google Play"):
        assert item in links, links
    (bell,) = [b for b in document.iter("button") if b.get("aria-label") == "bell"]  # type: ignore[attr-defined]
    assert [e for e in bell.iter("span")], "the notification dot"
    assert "#f97316" in replica_html.lower()


BUTTON_GROUP = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#fff}}
.group{{display:inline-flex;margin:60px 40px}}
.group span{{height:26px;padding:0 12px;display:flex;align-items:center;border:1px solid #dee2e6;color:#495057;
  font-size:13px;margin-left:-1px;font-family:'Noto Sans SC','Noto Sans CJK SC',sans-serif}}
.group span:first-child{{border-radius:6px 0 0 6px}}
.group span:last-child{{border-radius:0 6px 6px 0}}
.group span.on{{background:#0d6efd;color:#fff}}
</style></head><body><div class="group"><span class="on">今日</span><span>本周</span><span>本月</span><span>全年</span></div>
</body></html>"""


async def test_a_button_group_is_one_button_per_segment(browser_pool: SealedBrowserPool) -> None:
    """Buttons set edge to edge (a period switch), which OCR reads as one line ("本周本月全年"):
    one button per segment, each with its own label."""
    _replica_html, document = await _replica(browser_pool, BUTTON_GROUP, width=500, height=200)
    labels = [" ".join("".join(b.itertext()).split()) for b in document.iter("button")]  # type: ignore[attr-defined]
    assert labels == ["今日", "本周", "本月", "全年"], labels


WORD_PICTURES = """<!doctype html><html><head><style>
body{margin:0;background:#fff;font:bold 12px 'Liberation Sans',sans-serif}
.pill{position:absolute;left:40px;top:30px;background:#f6c23e;color:#1f2937;padding:2px 8px;border-radius:9px}
.bar{position:absolute;left:40px;top:80px;width:300px;height:8px;border-radius:4px;background:#2563eb}
.blob{position:absolute;left:200px;top:20px;width:60px;height:24px;border-radius:12px;
  background:radial-gradient(circle at 30% 40%,#f97316,#7c3aed)}
</style></head><body><span class="pill">Pending</span><div class="bar"></div><div class="blob"></div></body></html>"""


async def test_a_word_the_detector_passed_over_is_read_again_and_pictures_stay_pictures(
    browser_pool: SealedBrowserPool,
) -> None:
    """A word that became a picture (OCR's detector missed a bold label on a yellow pill) is text
    again when the recognizer reads it and its drawing matches the ink; a bar and a blob are not."""
    import numpy as np

    from replicator.backends.local.controls import read_words
    from replicator.backends.local.model import Graphic
    from replicator.backends.local.page import decode
    from replicator.models import Box
    from replicator.ocr import OcrEngine

    shot = await browser_pool.render(WORD_PICTURES, Viewport(400, 120))
    rgb = decode(shot.png)

    def ink(x0: int, y0: int, x1: int, y1: int, background: tuple[int, int, int]) -> Box:
        part = rgb[y0:y1, x0:x1].astype(int)
        ys, xs = np.nonzero(np.abs(part - np.array(background)).max(axis=2) > 60)
        return Box(x0 + xs.min(), y0 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)

    word = ink(46, 33, 97, 46, (0xF6, 0xC2, 0x3E))  # the letters on the pill
    pictures = [
        Graphic(word, "data:"),
        Graphic(ink(30, 70, 360, 100, (255, 255, 255)), "data:"),
        Graphic(ink(190, 10, 280, 50, (255, 255, 255)), "data:"),
    ]
    lines, left = read_words(rgb, pictures, OcrEngine.shared())
    assert [line.text for line in lines] == ["Pending"]
    assert lines[0].ink.intersection(word) > 0.8 * word.area
    assert left == pictures[1:]


SLIDER = """<!doctype html><html><head><style>
body{margin:0;background:#fff;font:13px 'DejaVu Sans',sans-serif;color:#374151}
.box{position:absolute;left:60px;top:40px;width:240px}
.track{position:relative;height:6px;border-radius:3px;background:#3b3b3b;margin:14px 0 10px}
.fill{position:absolute;left:0;top:0;bottom:0;width:60%;border-radius:3px;background:#00b89c}
.thumb{position:absolute;left:calc(60% - 9px);top:-6px;width:18px;height:18px;border-radius:50%;background:#00b89c}
.ends{display:flex;justify-content:space-between}
</style></head><body><div class="box"><div>PRICE</div><div class="track"><div class="fill"></div>
<div class="thumb"></div></div><div class="ends"><span>$0</span><span>up to $650</span></div></div>
<div style="position:absolute;left:60px;top:150px;width:240px;height:6px;background:#2563eb;border-radius:3px"></div>
</body></html>"""


async def test_a_slider_becomes_a_range_input_with_its_value_and_a_bar_does_not(
    browser_pool: SealedBrowserPool,
) -> None:
    replica, document = await _replica(browser_pool, SLIDER, 400, 200)
    (slider,) = _inputs(document, "range")
    assert 52 <= float(slider.get("value")) <= 68, slider.get("value")  # the thumb stands at 60%
    # The track is filled up to the thumb in the fill's colour, the rest in the track's.
    assert "#00b89c" in replica and "#3b3b3b" in replica
    assert "<img" not in replica  # neither the slider nor the plain bar below is a picture


ABOUT = f"""<!doctype html><html><head><style>{BASE_CSS}
.card{{width:640px;margin:40px;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:24px}}
label{{font-size:16px;margin:0 0 17px}}
textarea{{display:block;width:100%;height:80px;border:1px solid #dadfe5;border-radius:4px;padding:10px 14px;
  font:14px 'DejaVu Sans',sans-serif;color:#374151;resize:vertical}}
</style></head><body><div class="card"><label>About</label>
<textarea>Product analytics for teams who ship.</textarea></div></body></html>"""


async def test_a_textarea_with_a_value_under_its_label_stays_a_textarea(
    browser_pool: SealedBrowserPool,
) -> None:
    # The label's leading and margin put its ink ~20 px above the box: still its label.
    _replica_html, document = await _replica(browser_pool, ABOUT, 760, 260)
    (area,) = list(document.iter("textarea"))  # type: ignore[attr-defined]
    assert " ".join((area.text or "").split()) == "Product analytics for teams who ship."


# A quantity stepper as Bulma draws one: "−" and "+" buttons set against a number field that is a
# little taller than they are, with an inset shadow inside its border; and a pager whose middle box
# holds a number between two buttons that are no signs.
STEPPER = """<!doctype html><html><head><style>
body{margin:0;background:#fff;font:16px 'DejaVu Sans',sans-serif;color:#363636}
.row{display:flex;align-items:flex-start;margin:40px}
.row > *{border:1px solid #d6d9e0;background:#fff;height:32px;width:46px;font:20px 'DejaVu Sans',sans-serif;
  display:flex;align-items:center;justify-content:center;color:#363636;margin:0}
.row > :first-child{border-radius:4px 0 0 4px}
.row > :last-child{border-radius:0 4px 4px 0}
.row input{height:40px;width:62px;text-align:center;font:16px 'DejaVu Sans',sans-serif;color:#303540;
  box-shadow:inset 0 .0625em .125em rgba(10,10,10,.05);border-radius:0;padding:0 20px}
.pager{display:flex;gap:0;margin:40px}
.pager > *{border:1px solid #d6d9e0;height:36px;padding:0 14px;display:flex;align-items:center;font-size:15px}
</style></head><body>
<div class="row"><button>−</button><input type="number" value="2"><button>+</button></div>
<div class="pager"><button>Prev</button><span>7</span><button>Next</button></div>
</body></html>"""


async def test_a_number_between_minus_and_plus_buttons_is_a_number_field(
    browser_pool: SealedBrowserPool,
) -> None:
    _replica_html, document = await _replica(browser_pool, STEPPER, 500, 260)
    (number,) = _inputs(document, "number")
    assert number.get("value") == "2"
    # The signs stay buttons, named by what they show (the "−" is a 13 x 1 px bar: kept, not lost).
    buttons = list(document.iter("button"))  # type: ignore[attr-defined]
    assert [b.get("aria-label") for b in buttons[:2]] == ["minus", "plus"]
    assert all(any(str(e.tag).endswith("svg") for e in b.iter()) for b in buttons[:2])
    # The pager's "7" stands between buttons that are no signs: no field.
    assert [" ".join("".join(b.itertext()).split()) for b in buttons[2:]] == ["Prev", "7", "Next"]
    assert len(list(document.iter("input"))) == 1  # type: ignore[attr-defined]


DARK_TOOLBAR = f"""<!doctype html><html><head><style>{BASE_CSS}
body{{background:#0b0f19;color:#e5e7eb}}
.bar{{display:flex;align-items:center;justify-content:space-between;padding:24px 32px}}
h1{{font-size:22px;margin:0}}
.search{{display:flex;align-items:center;gap:10px;width:300px;height:40px;padding:0 14px;border-radius:12px;
  background:#111827;color:#6b7280;font-size:15px}}
.panel{{margin:8px 32px;padding:20px;border-radius:12px;background:#111827;line-height:1.6}}
</style></head><body>
<div class="bar"><h1>Portfolio</h1><div class="search">{_bi("search")}<span>Search assets</span></div></div>
<div class="panel">Total balance across four wallets, updated a minute ago.</div>
</body></html>"""


async def test_a_dark_theme_s_borderless_search_field_is_a_field(browser_pool: SealedBrowserPool) -> None:
    """A dark theme's search field is a box filled with a near-black navy (#111827: 0.56
    saturated, as hues go, at 15% brightness), no border, led by a magnifier: a search field,
    not a box filled with a strong colour (a selected item or a button)."""
    _replica_html, document = await _replica(browser_pool, DARK_TOOLBAR, width=900, height=300)
    fields = [e for e in document.iter("input")]  # type: ignore[attr-defined]
    assert [f.get("placeholder") for f in fields] == ["Search assets"], fields
    holder = next(d for d in document.iter("div") if fields[0] in list(d))  # type: ignore[attr-defined]
    assert any(str(e.tag).endswith("svg") and "search" in (e.get("class") or "") for e in holder.iter())


CHAT = f"""<!doctype html><html><head><style>{BASE_CSS}
.thread{{width:640px;margin:40px auto}}
.bubble{{display:inline-block;background:#fff;border-radius:14px;padding:10px 14px;font-size:14px;
  box-shadow:0 1px 2px rgba(0,0,0,.08);margin:0 0 28px}}
.row{{display:flex;gap:16px}}
.btn{{width:220px}}
.ghost{{height:42px;width:260px;border:1px solid #dc2626;border-radius:6px;background:#fff;color:#dc2626;
  font:bold 15px 'DejaVu Sans',sans-serif}}
</style></head><body><div class="thread">
<div class="bubble">Yes please, two of them are overweight. I attached the list.</div>
<div class="row"><button class="btn">Send message</button><button class="ghost">Yes, delete my account</button></div>
</div></body></html>"""


async def test_a_chat_bubble_s_one_line_message_is_no_button(browser_pool: SealedBrowserPool) -> None:
    # bs_chat's one-line message, centred in its bubble's padding as a label is in a button's,
    # had become a <button>: a sentence is no label. Buttons of a few words stay buttons.
    _, document = await _replica(browser_pool, CHAT, 900, 260)
    buttons = sorted(" ".join((e.text or "").split()) for e in document.iter("button"))  # type: ignore[attr-defined]
    assert buttons == ["Send message", "Yes, delete my account"]
    texts = [" ".join("".join(e.itertext()).split()) for e in document.iter() if e.tag in ("p", "span")]  # type: ignore[attr-defined]
    assert "Yes please, two of them are overweight. I attached the list." in texts
