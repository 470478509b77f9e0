"""导出 Excel of the dashboard's day table: the last 7 or 30 ended days (?range=), one row a
day from the daily rollup, every figure a number and every rate a percentage cell."""
from datetime import timedelta

from ..exports.specs import ExportSpec, Table
from ..exports.writer import Column
from .models import FIGURES
from .trends import rollups

RATES = (("巡更完成率", "patrol_completion"), ("日检完成率", "inspection_completion"),
         ("按时完工率", "on_time_rate"), ("回访满意率", "satisfaction_rate"))
COLUMNS = [Column("日期", 12), *(Column(title) for _, title in FIGURES),
           *(Column(title, None, "0%") for title, _ in RATES)]


def days_table(estate, user, args, now):
    """The rollup rows of the `range` (7 or 30; anything else: 30) ended days before the
    estate's today, oldest first; a day without a row has only its date."""
    span = 7 if args.get("range") == "7" else 30
    today = estate.today(now)
    days, rows = rollups(estate, today - timedelta(days=span), today - timedelta(days=1))

    def cells():
        for day, row in zip(days, rows, strict=True):
            if row is None:
                yield [day]
                continue
            rates = [getattr(row, name) for _, name in RATES]
            yield [day, *(getattr(row, name) for name, _ in FIGURES),
                   *(None if r is None else r / 100 for r in rates)]
    words = f"{days[0]:%Y-%m-%d} 至 {days[-1]:%Y-%m-%d}"
    return Table(f"{estate.name} 管理中心逐日数据 {words}", COLUMNS, cells(), len(days),
                 subtitle=f"近 {span} 天（每日汇总）；导出人：{user.display_name}",
                 filename=f"逐日数据-{days[-1]:%Y%m%d}-{span}天.xlsx")


EXPORTS = {"dashboard_days": ExportSpec("管理中心逐日数据", ("supervisor", "manager", "admin"),
                                        days_table)}
