"""PDF documents: a Jinja template under templates/pdf/ rendered by WeasyPrint on A4.

Every document gets the company header, 第 X 页 共 Y 页 and a CJK font through
templates/pdf/_base.html; callers pass the data and choose the template.

Emoji typed on a phone (厨房漏水💧, 满意👍) print with Symbola (fonts-symbola, installed by
scripts/system-deps.sh like the CJK font). A character that no installed font has (a newer
emoji, a rare symbol) would print as the font's missing glyph (.notdef, an empty box), which
PDF/A forbids and whose text layer reads back wrong: it is written as its Unicode name in
brackets instead ([melting face]). The data embedded in an archived PDF keeps what was typed.
"""
import bisect
import re
import shutil
import subprocess
import unicodedata
from functools import cache

from flask import Response, current_app, render_template

from .db import utcnow

# Noto Sans CJK SC (fonts-noto-cjk) first; WenQuanYi as the small alternative; Symbola
# (fonts-symbola, outlines that PDF/A can embed) for emoji and symbols; DejaVu for the rest.
CJK_FONTS = ('"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC", '
             '"Symbola", "DejaVu Sans"')
# Characters drawn with no glyph of their own: joiners, variation selectors, combining marks.
_NO_GLYPH = {"Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Cc"}
_WIDE = re.compile(r"[^\x00-\x7f]")  # ASCII: every font has it


@cache
def _font_coverage():
    """The code points some installed font has, as sorted disjoint (first, last) ranges read
    from fontconfig (`fc-list`: what Pango falls back to); None when fontconfig cannot say."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, "--format", "%{charset}\n"], capture_output=True,  # noqa: S603
                                text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    spans = sorted((int(lo, 16), int(hi or lo, 16)) for lo, _, hi in
                   (token.partition("-") for token in listed.split()))
    merged = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _printable(char, coverage):
    if unicodedata.category(char) in _NO_GLYPH:
        return True
    code = ord(char)
    i = bisect.bisect_right(coverage, (code, float("inf"))) - 1
    return i >= 0 and coverage[i][0] <= code <= coverage[i][1]


def printable_text(html):
    """`html` with each character that no installed font can draw written as its Unicode
    name in brackets ('🫠' → '[melting face]'), so no PDF uses a missing glyph (.notdef).
    Unchanged when fontconfig cannot list the fonts."""
    coverage = _font_coverage()
    if not coverage:
        return html
    missing = {c for c in set(_WIDE.findall(html)) if not _printable(c, coverage)}
    if not missing:
        return html
    return "".join(f"[{unicodedata.name(c, f'U+{ord(c):04X}').lower()}]" if c in missing
                   else c for c in html)


def render_html(template, **context):
    context.setdefault("company", current_app.config["COMPANY_NAME"])
    context.setdefault("generated_at", utcnow())
    return render_template(template, cjk_fonts=CJK_FONTS, **context)


def render_pdf(template, *, pdf_variant=None, attachments=None, **context):
    """The PDF bytes of `template` rendered with `context`."""
    from weasyprint import HTML  # imported here: loading Pango costs ~1 s at start-up

    html = HTML(string=printable_text(render_html(template, **context)),
                base_url=current_app.static_folder)
    return html.write_pdf(pdf_variant=pdf_variant, attachments=attachments or None)


def pdf_response(pdf, filename, download=False):
    """A PDF (bytes) answered to the browser: shown inline (or saved, with `download`) under
    `filename` (ASCII, e.g. "order-BX000006.pdf"). Documents hold personal data: never kept
    in a shared cache."""
    disposition = "attachment" if download else "inline"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "private, no-store"})


def local_text(estate, moment, fmt="%Y-%m-%d %H:%M"):
    """A stored naive-UTC datetime as text in the estate's zone, for archived data (JSON)."""
    if moment is None:
        return ""
    return estate.local(moment).strftime(fmt)
