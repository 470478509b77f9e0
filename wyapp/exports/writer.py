"""Excel (.xlsx) files of a list: one sheet, a title row, Chinese headers, typed cells.

XlsxWriter in constant-memory mode writes a row at a time to a temporary file, so memory
stays flat however long the list (issue 18: 100 000 rows × 10 columns in ~10 s / ~21 MB).
Cells keep Excel's own types: dates and times as dates, numbers as numbers; text that
Excel would read as a formula (= + - @ at the start) is stored as text with Excel's quote
prefix, as the gate's CSV defuses it (gate/reports.py).
"""
import tempfile
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from urllib.parse import quote

from flask import Response
from xlsxwriter import Workbook

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "hh:mm"
SAMPLE_ROWS = 200  # rows read ahead to size the columns
MAX_WIDTH = 60
EXCEL_MAX_ROWS = 1_048_576
HEADER_ROW = 2  # 0: title, 1: filters/period, 2: headers, data from 3


@dataclass(frozen=True)
class Column:
    """One column of an export.

    `title`: the Chinese header. `width`: in characters (a CJK character counts 2); None
    sizes it from the header and the first rows. `num_format`: Excel's number format for
    numbers in it (e.g. "0.00"); dates, datetimes and times get theirs from their type.
    """
    title: str
    width: float | None = None
    num_format: str | None = None


def columns_of(columns):
    """Column objects from Column or plain header strings."""
    return [c if isinstance(c, Column) else Column(str(c)) for c in columns]


def write_xlsx(fileobj, title, columns, rows, subtitle=""):
    """Write one sheet to `fileobj` (a path or a binary file object); return the row count.

    `title` (str): the first row, e.g. "翠湖花园 工单 2026-11-01 至 2026-11-30";
    `subtitle` (str): the second row, e.g. the filters ("状态：待处理；楼栋：1 栋").
    `columns`: Column or header strings. `rows`: an iterable (a generator is fine) of
    sequences of cell values in column order: None (blank), str, int/float/Decimal
    (number), bool (是/否), date, datetime (naive, already in the estate's time; an aware
    one loses its zone), time. Raises ValueError beyond Excel's row limit.
    """
    columns = columns_of(columns)
    rows = iter(rows)
    sample = list(islice(rows, SAMPLE_ROWS))
    workbook = Workbook(fileobj, {"constant_memory": True, "remove_timezone": True,
                                  "strings_to_numbers": False, "strings_to_formulas": False,
                                  "strings_to_urls": False})
    try:
        sheet = workbook.add_worksheet("数据")
        formats = _Formats(workbook)
        for index, column in enumerate(columns):
            width = column.width or _width(column, index, sample)
            sheet.set_column(index, index, width)
        sheet.set_row(0, 24)
        sheet.write_string(0, 0, title, formats.title)
        if subtitle:
            sheet.write_string(1, 0, subtitle, formats.subtitle)
        for index, column in enumerate(columns):
            sheet.write_string(HEADER_ROW, index, column.title, formats.header)
        sheet.freeze_panes(HEADER_ROW + 1, 0)
        count = 0
        for count, row in enumerate(chain(sample, rows), start=1):
            if HEADER_ROW + count >= EXCEL_MAX_ROWS:
                raise ValueError("超过 Excel 的行数上限")
            for index, value in enumerate(row):
                _write(sheet, HEADER_ROW + count, index, value, formats, columns[index])
        if columns:
            sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + count, len(columns) - 1)
    finally:
        workbook.close()
    return count


def xlsx_file(title, columns, rows, subtitle=""):
    """The workbook in a temporary file (rewound, deleted when closed) and its row count."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 — handed to the caller, who closes it
    try:
        count = write_xlsx(out, title, columns, rows, subtitle)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, count


def xlsx_response(filename, title, columns, rows, subtitle=""):
    """A download of the workbook: `filename` may be Chinese ("工单-2026-11.xlsx"); the
    response says so in RFC 6266 form with an ASCII fallback. Never kept in a shared cache
    (lists hold personal data)."""
    out, _ = xlsx_file(title, columns, rows, subtitle)
    return xlsx_download(out, filename)


def xlsx_download(fileobj, filename):
    """A response sending the open binary `fileobj` (closed when sent) as `filename`."""
    def chunks():
        with closing(fileobj):
            while block := fileobj.read(64 * 1024):
                yield block
    return Response(chunks(), mimetype=MIME, headers={
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": "private, no-store"})


def content_disposition(filename):
    """`attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266/5987)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
                       for c in filename) or "export.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


class _Formats:
    def __init__(self, workbook):
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"font_color": "#555555"})
        self.header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4",
                                           "bottom": 1, "text_wrap": True})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.datetime = workbook.add_format({"num_format": DATETIME_FORMAT})
        self.time = workbook.add_format({"num_format": TIME_FORMAT})
        self.text = workbook.add_format({"quote_prefix": True})
        self._workbook = workbook
        self._numbers = {}

    def number(self, num_format):
        if num_format is None:
            return None
        if num_format not in self._numbers:
            self._numbers[num_format] = self._workbook.add_format({"num_format": num_format})
        return self._numbers[num_format]


def _write(sheet, row, col, value, formats, column):
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats.number(column.num_format) or formats.datetime)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats.number(column.num_format) or formats.date)
    elif isinstance(value, time):
        sheet.write_datetime(row, col, value, formats.number(column.num_format) or formats.time)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value), formats.number(column.num_format))
    else:
        text = str(value)
        defused = formats.text if text.startswith(FORMULA_STARTS) else None
        sheet.write_string(row, col, text[:32767], defused)


def _text_width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _width(column, index, sample):
    widest = _text_width(column.title)
    for row in sample:
        value = row[index] if index < len(row) else None
        if isinstance(value, datetime):
            shown = 16
        elif isinstance(value, date):
            shown = 10
        elif value is None:
            shown = 0
        else:
            shown = _text_width(str(value))
        widest = max(widest, shown)
    return min(max(widest + 2, 6), MAX_WIDTH)
