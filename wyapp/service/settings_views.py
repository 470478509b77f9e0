"""The service desk's settings (supervisors): due hours per priority, the complaint reply
time, and the complaint root-cause categories."""
from flask import flash, redirect, url_for

from ..auth import current_estate, estate_required, get_or_404, role_required
from ..idempotency import once
from ..inputs import id_arg
from ..web import attempt, render
from .causes import add_cause as add_cause_named
from .causes import causes_of, toggle_cause
from .flow import SUPERVISORS
from .forms import CauseForm, DueHoursForm
from .models import ComplaintCause, ServiceSettings
from .orders import HOUR_FIELDS, save_settings
from .orders_views import bp


def _hours_form(estate, **kwargs):
    current = ServiceSettings.of(estate)
    return DueHoursForm(data={k: str(getattr(current, k)) for k in HOUR_FIELDS}, **kwargs)


def _page(estate, form, cause_form, status):
    return render("service/settings.html", form=form, cause_form=cause_form,
                  causes=causes_of(estate)), status


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
@estate_required
def settings():
    """The estate's due hours per priority and its complaint root-cause categories."""
    estate = current_estate()
    form = _hours_form(estate)
    valid = form.validate_on_submit()
    hours = form.hours() if form.is_submitted() else None
    if valid and hours:
        save_settings(estate, hours)
        flash("已保存时限设置。", "success")
        return redirect(url_for("service.settings"))
    return _page(estate, form, CauseForm(formdata=None), 422 if form.errors else 200)


@bp.post("/settings/causes")
@role_required(*SUPERVISORS)
@estate_required
def add_cause():
    """Add a root-cause category, or switch one on or off (?toggle=id)."""
    estate = current_estate()
    toggle = id_arg("toggle")
    if toggle:
        toggle_cause(get_or_404(ComplaintCause, toggle))
        return redirect(url_for("service.settings"))
    cause_form = CauseForm()
    if attempt(cause_form, lambda: once(  # a resent POST does not say 已有这个分类
            ComplaintCause, cause_form.once_key,
            lambda: add_cause_named(estate, cause_form.name.data),
            ComplaintCause.estate == estate)):
        flash(f"已添加分类 {cause_form.name.data}。", "success")
        return redirect(url_for("service.settings"))
    return _page(estate, _hours_form(estate, formdata=None), cause_form, 422)
