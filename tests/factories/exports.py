"""Reading exports back in tests: an .xlsx response opened with openpyxl."""
import io

import openpyxl

HEADER_ROW = 3  # openpyxl's 1-based row of the headers (title, filters, headers)


def workbook(response):
    """The first sheet of an .xlsx response (or bytes)."""
    data = response if isinstance(response, bytes) else response.data
    return openpyxl.load_workbook(io.BytesIO(data)).active


def headers(sheet):
    return [c.value for c in sheet[HEADER_ROW] if c.value is not None]


def data_rows(sheet):
    """The data rows below the headers, as lists of cells."""
    return [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW + 1)]


def column(sheet, title):
    """The cells of the column headed `title`, data rows only."""
    index = headers(sheet).index(title)
    return [row[index] for row in data_rows(sheet)]
