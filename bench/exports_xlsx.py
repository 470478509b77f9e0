"""Excel export writer: 10 000 (or ROWS) rows × 10 columns of CJK text, numbers, dates and
datetimes through wyapp.exports.write_xlsx (XlsxWriter, constant memory), each size in a
fresh process so the peak memory is the writer's own.

Prints rows, seconds, peak RSS (MB) and the file's size, and the memory ratio judged:
peak RSS at 10× the rows ≤ 1.5 × that at 1× (memory stays flat with the row count).
Run: python bench/exports_xlsx.py [rows]
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rows(n):
    start = datetime(2026, 3, 1, 8, 0)
    for i in range(n):
        yield [f"BX{i:06d}", "处理中", "紧急" if i % 7 == 0 else "普通", "水电",
               f"{i % 12 + 1}号楼{i % 30 + 1:02d}01 厨房水龙头漏水，地面有积水需尽快处理",
               start + timedelta(minutes=i), date(2026, 3, 1) + timedelta(days=i % 30),
               i % 500, (i % 1000) / 7, "=SUM(A1)" if i % 1000 == 0 else "王师傅"]


def child(n):
    sys.path.insert(0, str(ROOT))
    from wyapp.exports import write_xlsx

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.xlsx")
        began = time.perf_counter()
        write_xlsx(path, "示范花园 报修工单（全部）", ["工单号", "状态", "紧急程度", "类别",
                                                "报修内容", "登记时间", "日期", "数量",
                                                "金额", "维修人员"], rows(n))
        seconds = time.perf_counter() - began
        size = os.path.getsize(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": n, "seconds": seconds, "peak_mb": peak / 1024,
                      "added_mb": (peak - base) / 1024, "size_kb": size / 1024}))


def run(n):
    out = subprocess.run([sys.executable, __file__, "--child", str(n)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    small, big = run(n), run(n * 10)
    for r in (small, big):
        print(f"{r['rows']:>7} 行 × 10 列: {r['seconds']:.2f} s, 峰值内存 {r['peak_mb']:.1f} MB "
              f"(写入时增加 {r['added_mb']:.1f} MB), 文件 {r['size_kb']:.0f} KB")
    ratio = big["peak_mb"] / small["peak_mb"]
    print(f"ratio: peak RSS at {big['rows']} rows / at {small['rows']} rows = {ratio:.2f} "
          f"(target ≤ 1.5) {'OK' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        main()
