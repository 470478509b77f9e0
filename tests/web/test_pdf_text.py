"""What people type, printed (issue 15 "Documents", issue 17 来访日报): a long unbroken string
wraps inside its cell and stays on the A4 page; short codes (1号楼-501, 粤A88Q66, 08:30)
never break inside; emoji print with a real glyph, and no archived PDF/A uses the missing
glyph (.notdef). Each PDF is also rendered to tests/artifacts/*.png to be looked at."""
import io
import re
import shutil
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.factories import gate, inspection
from tests.factories import service as service_factory
from wyapp.archive import services as archive
from wyapp.db import utcnow
from wyapp.models import Estate

pytestmark = [pytest.mark.clock,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
A4_WIDTH = 595.28  # points
RIGHT_EDGE = A4_WIDTH - 15 / 25.4 * 72  # the page's 15 mm right margin
LONG_URL = "https://wx.example.com/s/" + "Ab3x" * 30
SERIAL = "SN" + "0123456789" * 8


def _words(pdf):
    """[(word, xMin, xMax)] of the PDF's text, by pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return [(word, float(x0), float(x1)) for x0, x1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]


def _lines(pdf):
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return [line.strip() for line in text.splitlines()]


def _look(pdf, name):
    """Page 1 as tests/artifacts/<name>-1.png (when pdftoppm is there), to be looked at."""
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-",
                        str(ARTIFACTS / name)], input=pdf, check=True)


def notdef_glyphs(pdf):
    """How many glyphs drawn in `pdf` are the fonts' missing glyph (.notdef, CID 0).

    WeasyPrint writes Type0 fonts with CIDToGIDMap /Identity: a string's 2-byte codes are
    CIDs (Identity-H) or mapped to CIDs by the font's own embedded CMap (begincidchar /
    begincidrange); CID 0 is .notdef."""
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for page in reader.pages:
        cmaps = {}
        for key, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            encoding = font.get("/Encoding")
            if font.get("/Subtype") != "/Type0":
                cmaps[key] = None  # a simple font: one byte a glyph, code 0 unused
            elif encoding == "/Identity-H":
                cmaps[key] = {}
            else:
                cmaps[key] = _cid_map(encoding.get_object().get_data().decode("latin-1"))
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ") and cmaps.get(current) is not None:
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for text in strings:
                    raw = getattr(text, "original_bytes", None)
                    if raw is None:
                        continue
                    for i in range(0, len(raw) - 1, 2):
                        code = int.from_bytes(raw[i:i + 2], "big")
                        count += cmaps[current].get(code, code) == 0
    return count


def _cid_map(cmap):
    mapping = {}
    for block in re.findall(r"begincidchar(.*?)endcidchar", cmap, re.S):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", block):
            mapping[int(code, 16)] = int(cid)
    for block in re.findall(r"begincidrange(.*?)endcidrange", cmap, re.S):
        for lo, hi, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)", block):
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = int(cid) + offset
    return mapping


def test_a_long_url_and_serial_wrap_inside_the_work_order_table(in_db, login):
    with in_db():
        order = service_factory.work_order(
            description=f"业主发来链接 {LONG_URL} ，热水器序列号 {SERIAL} 漏水")
    response = login("supervisor").get(f"/service/orders/{order.id}.pdf")
    assert response.status_code == 200
    pdf = response.data
    _look(pdf, "pdf-long-words")
    words = _words(pdf)
    assert words and max(x1 for _, _, x1 in words) <= RIGHT_EDGE + 1, \
        [w for w in words if w[2] > RIGHT_EDGE + 1][:3]
    text = "".join(w for w, _, _ in words)
    assert LONG_URL in text and SERIAL in text  # all of it printed, only wrapped
    # the labels keep their words on one line (they were squeezed to one character a line)
    lines = _lines(pdf)
    for label in ("报修内容", "登记时间", "完成时限", "维修人员"):
        assert label in lines or any(line.startswith(label) for line in lines), label


def test_visitor_log_keeps_units_plates_and_times_whole(in_db, login, now):
    """来访日报 (issue 17): '1号楼-501' and '粤A88Q66' printed on one line each, not wrapped
    as 1号/楼-501 and 粤/A88Q66."""
    with in_db():
        estate = Estate.get(name="示范花园")
        day = estate.today(utcnow()) - timedelta(days=1)

        def at(hour, minute=0):
            return estate.utc(datetime.combine(day, time(hour, minute)))
        for n, (unit, plate) in enumerate([("1-501", "粤A88Q66"), ("2-602", "粤B1234应急"),
                                           ("3-101", "WJ0112345")]):
            gate.visit(estate, at=at(9 + n, 5), left=at(11 + n, 40), unit=unit, plate=plate,
                       name="欧阳" + "明" * n, purpose="装修施工", party_size=3,
                       id_number="440306199003071232", note="送装修材料 " + SERIAL)
    response = login("supervisor").get(f"/gate/report.pdf?day={day.isoformat()}")
    assert response.status_code == 200
    pdf = response.data
    _look(pdf, "pdf-visitor-log")
    lines = _lines(pdf)
    for whole in ("1号楼-501", "粤A88Q66", "2号楼-602", "粤B1234应急", "WJ0112345", "09:05",
                  "11:40", "440***********1232"):
        assert any(whole in line for line in lines), (whole, lines)
    words = _words(pdf)
    assert max(x1 for _, _, x1 in words) <= RIGHT_EDGE + 1


@pytest.fixture
def emoji_day(in_db, now):
    """An inspection sheet whose notes hold CJK, emoji Symbola has (💧 👍) and one no font
    here has (🫠, Unicode 14), filed to the archive; returns the archived PDF's bytes."""
    with in_db():
        estate = Estate.get(name="示范花园")
        day = estate.today(utcnow()) - timedelta(days=1)
        plan = inspection.plan_for(estate, "DT-01")
        submitted = estate.utc(datetime.combine(day, time(10)))
        inspection.sheet(plan, day, values={"轿厢照明与通风": "异常"},
                         notes={"轿厢照明与通风": "厨房漏水💧 业主满意👍 灯罩融化🫠"},
                         submit_at=submitted)
        doc = archive.file_document("inspection_day", estate, day.isoformat())
        from flask import current_app
        return (Path(current_app.config["DATA_DIR"]) / "archive" / doc.path).read_bytes()


def _has_symbola():
    listed = subprocess.run(["fc-list", ":family=Symbola", "family"], capture_output=True,
                            text=True).stdout if shutil.which("fc-list") else ""
    return "Symbola" in listed


def test_emoji_in_an_archived_pdf_print_and_read_back(emoji_day):
    pdf = emoji_day
    _look(pdf, "pdf-emoji")
    assert notdef_glyphs(pdf) == 0
    text = "".join(_lines(pdf))
    assert "厨房漏水" in text and "灯罩融化[melting face]" in text
    if _has_symbola():  # scripts/system-deps.sh installs it
        assert "厨房漏水💧" in text and "业主满意👍" in text
    else:
        assert "[droplet]" in text
    # the embedded source data keeps what was typed
    data = PdfReader(io.BytesIO(pdf)).attachments["source-data.json"][0].decode()
    assert "🫠" in data or "\\ud83e\\udee0" in data


def test_the_notdef_check_sees_a_missing_glyph(app):
    """The check itself: a PDF rendered without the replacement shows its .notdef."""
    from weasyprint import HTML

    from wyapp.documents import CJK_FONTS
    html = f'<p style="font-family: {CJK_FONTS}">融化🫠{chr(0x10FFFD)}</p>'
    assert notdef_glyphs(HTML(string=html).write_pdf()) >= 1
    with app.app_context():
        from wyapp.documents import printable_text
        assert notdef_glyphs(HTML(string=printable_text(html)).write_pdf()) == 0
