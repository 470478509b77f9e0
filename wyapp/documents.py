"""PDF documents: a Jinja template under templates/pdf/ rendered by WeasyPrint on A4.

Every document gets the company header, 第 X 页 共 Y 页 and a CJK font through
templates/pdf/_base.html; callers pass the data and choose the template.
"""
from flask import Response, current_app, render_template

from .db import utcnow

# Noto Sans CJK SC (fonts-noto-cjk) first; WenQuanYi as the small alternative.
CJK_FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC"'


def render_html(template, **context):
    context.setdefault("company", current_app.config["COMPANY_NAME"])
    context.setdefault("generated_at", utcnow())
    return render_template(template, cjk_fonts=CJK_FONTS, **context)


def render_pdf(template, *, pdf_variant=None, attachments=None, **context):
    """The PDF bytes of `template` rendered with `context`."""
    from weasyprint import HTML  # imported here: loading Pango costs ~1 s at start-up

    html = HTML(string=render_html(template, **context),
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
