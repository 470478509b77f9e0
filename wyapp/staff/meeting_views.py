"""例会 pages: the minutes list and form (leads), one meeting with its action items."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..db import utcnow
from ..errors import DomainError, NotAllowed, show_error
from ..idempotency import once
from ..models import User
from ..web import render
from .forms import ActionForm, MeetingForm
from .meetings import (
    actions_of,
    add_action,
    attendees_of,
    finish_action,
    record_meeting,
    visible_meetings,
)
from .models import ActionItem, Meeting
from .views import LEADS, STAFF, bp


def _choices(estate):
    return [(u.id, u.display_name) for u in User.with_role(estate, *STAFF)]


@bp.route("/meetings", methods=["GET", "POST"])
@role_required(*STAFF)
def meetings():
    """例会纪要: the meetings the user may read; a lead records new minutes."""
    estate = current_estate()
    form = MeetingForm(data={"held_on": estate.today(utcnow())})
    form.attendees.choices = _choices(estate)
    if form.is_submitted():
        if not current_user.has_role(*LEADS):
            abort(403)
        if form.validate():
            values = {**form.data, "attendees": list(
                User.select().where(User.id.in_(form.attendees.data)))}
            try:
                meeting, _ = once(Meeting, form.once_key, lambda: record_meeting(
                    estate, values, current_user, utcnow()), Meeting.estate == estate)
            except DomainError as error:
                show_error(form, error, default="topics")
            else:
                flash("例会纪要已保存，可以添加待办事项。", "success")
                return redirect(url_for("staff.meeting", meeting_id=meeting.id))
    return render("staff/meetings.html", meetings=visible_meetings(estate, current_user)
                  .limit(50), form=form), 422 if form.errors else 200


def _meeting(meeting_id):
    meeting = get_or_404(Meeting, meeting_id)
    if not visible_meetings(meeting.estate, current_user).where(Meeting.id == meeting.id) \
            .exists():
        abort(404)
    return meeting


def _page(meeting, form=None, status=200):
    estate = current_estate()
    if form is None:
        form = ActionForm(formdata=None)
    form.owner.choices = _choices(estate)
    return render("staff/meeting.html", meeting=meeting, attendees=attendees_of(meeting),
                  actions=actions_of(meeting), form=form), status


@bp.route("/meetings/<int:meeting_id>")
@role_required(*STAFF)
def meeting(meeting_id):
    """One meeting's minutes and action items."""
    return _page(_meeting(meeting_id))


@bp.post("/meetings/<int:meeting_id>/actions")
@role_required(*LEADS)
def meeting_action(meeting_id):
    """Add an action item (owner, due date) to the minutes."""
    meeting = _meeting(meeting_id)
    form = ActionForm()
    form.owner.choices = _choices(current_estate())
    if not form.validate_on_submit():
        return _page(meeting, form, 422)
    try:
        once(ActionItem, form.once_key, lambda: add_action(
            meeting, form.text.data, User.get_by_id(form.owner.data), form.due_on.data,
            current_user), ActionItem.meeting == meeting)
    except NotAllowed as error:
        abort(403, error.message)
    flash("待办事项已添加，负责人首页会显示。", "success")
    return redirect(url_for("staff.meeting", meeting_id=meeting.id))


@bp.post("/actions/<int:item_id>/done")
@role_required(*STAFF)
def action_done(item_id):
    """标记完成: the owner (or a lead) closes an action item."""
    item = (ActionItem.select(ActionItem).join(Meeting)
            .where(ActionItem.id == item_id, Meeting.estate == current_estate()).first())
    if item is None:
        abort(404)
    try:
        finish_action(item, current_user, utcnow())
    except NotAllowed as error:
        abort(403, error.message)
    flash("待办已完成。", "success")
    return redirect(url_for("staff.meeting", meeting_id=item.meeting_id))
