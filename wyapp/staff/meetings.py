"""例会 (weekly meeting) minutes: date, attendees, topics, decisions and action items with
an owner and a due date (seed: the 主任 "定期组织副主任及主管召开例会", the 副主任 "负责组织物业
服务中心每周例会"). An open action item shows on its owner's home page until marked done;
the minutes are filed in the archive as 例会纪要 (a record kind, key "LH-<id>")."""
from datetime import timedelta

from ..db import db
from ..errors import DomainError, NotAllowed
from ..models import User, notify
from .models import ActionItem, Meeting, MeetingAttendee

LEADS = ("supervisor", "manager")
KEY_PREFIX = "LH"
RECHECK = timedelta(days=30)  # minutes recorded this recently are (re)filed by the sweep


def record_meeting(estate, values, user, now):
    """Minutes of a meeting: held_on (local date), title, topics, decisions, attendees
    ([User]). Only a supervisor or manager records them. Returns the Meeting."""
    if not user.has_role(*LEADS):
        raise NotAllowed("只有主管和经理可以记录例会纪要。")
    if not values["attendees"]:
        raise DomainError("请至少选择一名参会人员。", "attendees")
    with db.atomic():
        meeting = Meeting.create(estate=estate, held_on=values["held_on"],
                                 title=values["title"], topics=values["topics"],
                                 decisions=values.get("decisions") or "", recorded_by=user,
                                 created_at=now)
        MeetingAttendee.insert_many([{"meeting": meeting, "user": u} for u in
                                     {u.id: u for u in values["attendees"]}.values()]).execute()
    return meeting


def add_action(meeting, text, owner, due_on, user):
    """An action item of the meeting for `owner` (told by a notification), due `due_on`."""
    if not user.has_role(*LEADS):
        raise NotAllowed("只有主管和经理可以分派待办。")
    item = ActionItem.create(meeting=meeting, text=text.strip()[:200], owner=owner,
                             due_on=due_on)
    notify([owner], meeting.estate, "staff_action", f"例会待办：{item.text}",
           f"期限 {due_on:%m-%d}", f"/staff/meetings/{meeting.id}")
    return item


def finish_action(item, user, now):
    """Mark an action item done (its owner or a lead); done once."""
    if item.owner_id != user.id and not user.has_role(*LEADS):
        raise NotAllowed("只有负责人和主管可以标记完成。")
    ActionItem.update(done_at=now).where(ActionItem.id == item.id,
                                         ActionItem.done_at.is_null()).execute()
    return ActionItem.get_by_id(item.id)


def visible_meetings(estate, user):
    """Meetings `user` may read: a lead all of them; anyone else those they attended or
    own an action item of. Newest first."""
    query = Meeting.select().where(Meeting.estate == estate) \
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    if not user.has_role(*LEADS):
        query = query.where(
            Meeting.id.in_(MeetingAttendee.select(MeetingAttendee.meeting)
                           .where(MeetingAttendee.user == user))
            | Meeting.id.in_(ActionItem.select(ActionItem.meeting)
                             .where(ActionItem.owner == user)))
    return query


def attendees_of(meeting):
    return list(User.select().join(MeetingAttendee, on=(MeetingAttendee.user == User.id))
                .where(MeetingAttendee.meeting == meeting).order_by(User.display_name))


def actions_of(meeting):
    return list(ActionItem.select(ActionItem, User).join(User, on=(ActionItem.owner == User.id))
                .where(ActionItem.meeting == meeting).order_by(ActionItem.due_on, ActionItem.id))


def open_actions(estate, until_day):
    """Action items of the estate's meetings still open, due on or before the local date
    `until_day`, owners joined, soonest first: what a 周报 lists under 例会待办 (issue 21
    asks the 周报 to show them; its feature calls this)."""
    return list(ActionItem.select(ActionItem, Meeting, User).join(Meeting)
                .switch(ActionItem).join(User, on=(ActionItem.owner == User.id))
                .where(Meeting.estate == estate, ActionItem.done_at.is_null(),
                       ActionItem.due_on <= until_day)
                .order_by(ActionItem.due_on, ActionItem.id))


def open_at(estate, last_day, end):
    """例会 action items open at the week's end, for the 周报 (issue 21): those of the
    estate's meetings held on or before the local date `last_day` and not done before the
    naive-UTC instant `end` (done later: `.done_at` is set, 完成 by now), owners joined,
    by due date."""
    return list(ActionItem.select(ActionItem, Meeting, User).join(Meeting)
                .switch(ActionItem).join(User, on=(ActionItem.owner == User.id))
                .where(Meeting.estate == estate, Meeting.held_on <= last_day,
                       ActionItem.done_at.is_null() | (ActionItem.done_at >= end))
                .order_by(ActionItem.due_on, ActionItem.id))


# ── the archive's 例会纪要 ──

def meeting_key(meeting):
    return f"{KEY_PREFIX}-{meeting.id}"


def _key_id(key):
    head, _, number = (key or "").partition("-")
    return int(number) if head == KEY_PREFIX and number.isdigit() and len(number) < 19 else None


def meeting_label(key):
    """What people read for an archive key: "LH-12" → LH000012."""
    record_id = _key_id(key)
    return Meeting(id=record_id).code if record_id is not None else key


def due_meetings(estate, now):
    """Keys of the minutes the archive (re)files at `now`: those recorded in the last 30
    days (naive UTC)."""
    return [meeting_key(m) for m in Meeting.select(Meeting.id).where(
        Meeting.estate == estate, Meeting.created_at >= now - RECHECK)]


def collect_meeting(estate, key):
    """The minutes as decided (JSON-able): whether an item is done later is not part of
    them. None when `key` names no meeting of this estate."""
    record_id = _key_id(key)
    meeting = Meeting.get_or_none(Meeting.id == record_id, Meeting.estate == estate) \
        if record_id is not None else None
    if meeting is None:
        return None
    return {"code": meeting.code, "title": meeting.title, "held_on": meeting.held_on.isoformat(),
            "recorded_by": meeting.recorded_by.display_name if meeting.recorded_by_id else "",
            "attendees": [u.display_name for u in attendees_of(meeting)],
            "topics": meeting.topics, "decisions": meeting.decisions,
            "actions": [{"text": a.text, "owner": a.owner.display_name,
                         "due_on": a.due_on.isoformat()} for a in actions_of(meeting)]}
