"""One reader for the CSV files an office uploads (units, the equipment ledger): whatever
Excel or WPS saved, every row with the line number a person sees in a text editor, or a
refusal in Chinese that names the line — never an exception the view did not expect.

What it reads:
- encodings: UTF-8 with or without a BOM; GB18030 (the superset of GBK/GB2312 that Excel in
  China saves as "CSV (逗号分隔)"); UTF-16 with a BOM (Excel's "Unicode 文本", tab-separated);
- line ends: CRLF (Windows), LF, and CR alone (Excel for Mac's "CSV (Macintosh)");
- quoted cells holding commas, quotes ("") and line breaks (CR, LF or CRLF), kept as one cell;
- tab-separated text when the header line has tabs and no commas.

What it refuses, with the line: a NUL byte (PostgreSQL cannot store it; usually a binary or
UTF-16 file without its BOM), a cell over FIELD_LIMIT characters (the csv module's own
limit, 128 KiB), an unterminated quote, more than `max_rows` rows.
"""
import csv
import io

FIELD_LIMIT = csv.field_size_limit()  # 131 072 characters: no cell an office types is longer


class ImportRejected(Exception):
    """A CSV that cannot be imported: `errors` lists (line number, Chinese message), line 1
    being the header. The importer stores nothing when it raises this."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} 处错误")
        self.errors = errors


NUL_MESSAGE = "含有空字符（NUL），不是文本格式的 CSV，请在 Excel 中另存为 CSV 后重试。"
ENCODING_MESSAGE = "无法识别文件编码，请在 Excel 中另存为“CSV UTF-8”或“CSV (逗号分隔)”。"


def decode(data):
    """CSV bytes → text. UTF-16 by its BOM, else UTF-8 (BOM dropped), else GB18030.
    Raises ImportRejected (line 1) for bytes that are none of them (an image, a zip…)."""
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    encodings = ("utf-16",) if utf16 else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding).removeprefix("\ufeff")  # GB18030's own BOM too
        except UnicodeDecodeError:
            continue
    raise ImportRejected([(1, ENCODING_MESSAGE)])


def _line_of(text, offset):
    """The 1-based line number of character `offset`, counting CRLF, LF and CR alone."""
    return len(io.StringIO(text[:offset], newline="").readlines()) or 1


def read_rows(data, max_rows):
    """CSV bytes → [(line number, [cell, …]), …] for the header and every row that is not
    blank, cells stripped of outer spaces. A row's line number is the line it starts on (a
    quoted cell may span lines). Raises ImportRejected([(line, message)]) for a file that
    cannot be read as a whole (see the module docstring) or has more than `max_rows` rows
    after the header; rows' own values are the importer's to judge."""
    text = decode(data)
    nul = text.find("\x00")
    if nul >= 0:
        raise ImportRejected([(_line_of(text, nul + 1), NUL_MESSAGE)])
    first = io.StringIO(text, newline="").readline()
    dialect = "excel-tab" if "\t" in first and "," not in first else "excel"
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, dialect, strict=True)
    rows, start = [], 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportRejected([(start, _csv_problem(error))]) from None
        if any(cell.strip() for cell in row):
            rows.append((start, [cell.strip() for cell in row]))
            if len(rows) - 1 > max_rows:
                raise ImportRejected([(1, f"一次最多导入 {max_rows} 行，请分成几个文件。")])
        start = reader.line_num + 1
    return rows


def _csv_problem(error):
    message = str(error)
    if "field larger than field limit" in message:
        return (f"有一格超过 {FIELD_LIMIT // 1024} KB（{FIELD_LIMIT} 个字符），"
                "可能是引号没有配对，请检查这一行。")
    if "unexpected end of data" in message:
        return "引号没有配对：这一行开始的引号到文件末尾都没有结束。"
    return ("这一行的引号用法不对：一格以引号开始时，引号要在这一格末尾结束"
            "（格内的引号写成两个 \"\"）。")
