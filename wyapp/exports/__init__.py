"""Excel exports (导出 Excel, issue 18): the writer every list uses (writer.py)."""
from .writer import Column, write_xlsx, xlsx_file, xlsx_response  # noqa: F401
