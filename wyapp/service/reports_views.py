"""The desk's reports: the 日盘点 of one day (page and PDF) and the monthly statistics."""


from ..auth import current_estate, estate_required, role_required
from ..db import utcnow
from ..documents import pdf_response, render_pdf
from ..inputs import day_arg, month_arg
from ..web import render
from .flow import DESK
from .orders_views import bp
from .reports import daily_list, monthly_stats


def _day(estate, now):
    """The day asked for (?date=YYYY-MM-DD), else the estate's today."""
    return day_arg("date", estate.today(now))


@bp.route("/complaints/daily")
@role_required(*DESK)
@estate_required
def daily():
    """日盘点: everything received on one day and its state now, so nothing slips."""
    estate, now = current_estate(), utcnow()
    day = _day(estate, now)
    complaints, orders = daily_list(estate, day)
    return render("service/daily.html", day=day, complaints=complaints, orders=orders, now=now)


@bp.route("/complaints/daily.pdf")
@role_required(*DESK)
@estate_required
def daily_pdf():
    """The printable 日盘点 of one day, signed by the desk and the supervisor."""
    estate, now = current_estate(), utcnow()
    day = _day(estate, now)
    complaints, orders = daily_list(estate, day)
    pdf = render_pdf("pdf/service_daily.html", title="投诉报修日盘点", estate=estate,
                     period=f"{day:%Y年%m月%d日}", complaints=complaints, orders=orders,
                     now=now, signatures=["盘点人", "审核人"])
    return pdf_response(pdf, f"daily-{day}.pdf")


@bp.route("/complaints/stats")
@role_required(*DESK)
@estate_required
def stats():
    """Monthly statistics by root cause, channel, events; reply/close times; satisfaction."""
    estate, now = current_estate(), utcnow()
    today = estate.today(now)
    first = month_arg("month", today.replace(day=1))
    year, month = first.year, first.month
    return render("service/stats.html", year=year, month=month,
                  stats=monthly_stats(estate, year, month, now))
