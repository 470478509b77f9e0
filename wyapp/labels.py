"""Printed QR labels and their permanent URL scheme `<base>/c/<token>`.

Labels are glued to walls for years, so this URL never changes. A label points at one
thing of one kind ("checkpoint", "equipment", …); the feature owning that kind registers a
view for it with Feature(label_kinds={kind: view}), and /c/<token> dispatches to it.
Re-issuing a label retires the old token: scanning it then says so, and records nothing.
"""
import secrets

from flask import Blueprint, abort, current_app, g, render_template, request, session
from flask_login import current_user, login_required
from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField

from .auth import reject_reason
from .db import BaseModel, MigrationGroup, Prepared, db, from_row, utcnow
from .features import Feature
from .models import Estate, UserEstate


class Label(BaseModel):
    token = CharField(max_length=64, unique=True)
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=30)
    target_id = IntegerField()
    created_at = DateTimeField(default=utcnow)
    retired_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("kind", "target_id"), False),)

    @property
    def active(self):
        return self.retired_at is None

    def url(self):
        return label_url(self.token)


def new_token():
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def issue_label(estate, kind, target_id):
    """A new label for a target; any earlier label of the same target stops working."""
    with db.atomic():
        (Label.update(retired_at=utcnow())
         .where(Label.kind == kind, Label.target_id == target_id, Label.retired_at.is_null())
         .execute())
        return Label.create(token=new_token(), estate=estate, kind=kind, target_id=target_id)


def current_label(kind, target_id):
    return (Label.select().where(Label.kind == kind, Label.target_id == target_id,
                                 Label.retired_at.is_null()).first())


def label_url(token):
    """The URL printed in the QR code: WYAPP_BASE_URL when set, else this request's host."""
    base = current_app.config.get("BASE_URL") or request.url_root
    return f"{base.rstrip('/')}/c/{token}"


def _targets():
    """{kind: (Model, {name: column()})} of the features that read a target with its label."""
    return {kind: target for feature in current_app.extensions["wyapp.features"]
            for kind, target in feature.label_targets.items()}


def _label_query(works_there):
    """A label by token with, in the same row, its estate when active and the user may work
    there (else NULLs), and its target when its kind registered one (Feature.label_targets):
    the one read a scanned label needs before its feature's view."""
    def build(token, user_id):
        query = (Label.select(*Label._meta.sorted_fields, *Estate._meta.sorted_fields)
                 .join(Estate, JOIN.LEFT_OUTER,
                       on=(Estate.id == Label.estate) & Estate.active & works_there(user_id)))
        for kind, (model, extras) in _targets().items():
            query = (query.select_extend(*model._meta.sorted_fields,
                                         *[column().alias(name) for name, column in extras.items()])
                     .join_from(Label, model, JOIN.LEFT_OUTER,
                                on=(Label.kind == kind) & (model.id == Label.target_id)
                                & (model.estate == Label.estate)))
        return query.where(Label.token == token).limit(1).tuples()
    return Prepared(build)


_label_for_admin = _label_query(lambda user_id: Estate.active)  # every active estate
_label_for_staff = _label_query(lambda user_id: Estate.id.in_(
    UserEstate.select(UserEstate.estate).where(UserEstate.user == user_id)))


def label_and_estate(token, user):
    """(Label or None, the label's Estate if `user` works there else None): one query.
    The label's target, when its kind registered one, is label.target (None: not found)."""
    query = _label_for_admin if user.has_role("admin") else _label_for_staff
    row = query.first(token[:64], user.id)
    if row is None:
        return None, None
    values = iter(row)
    label = from_row(Label, [next(values) for _ in Label._meta.sorted_fields])
    estate = from_row(Estate, [next(values) for _ in Estate._meta.sorted_fields])
    label.target = None
    for kind, (model, extras) in _targets().items():
        target = [next(values) for _ in model._meta.sorted_fields]
        extra = {name: next(values) for name in extras}
        if kind == label.kind and target[0] is not None:  # peewee puts the primary key first
            label.target = from_row(model, target)
            for name, value in extra.items():
                setattr(label.target, name, value)
    return label, estate if estate.id is not None else None


def reissue_unconfirmed(kind, target_id):
    """Whether a POST that would re-issue the label of (`kind`, `target_id`) must first ask:
    a label is in use (glued to a wall) and the form did not carry confirm=yes from the
    confirmation page. A first label needs no confirmation."""
    return request.form.get("confirm") != "yes" and current_label(kind, target_id) is not None


def confirm_reissue(what, back):
    """The confirmation page of a re-issue (issue 17: one tap used to retire a label): names
    `what` (e.g. "巡更点 3号楼地下车库B区"), posts confirm=yes back to this URL, and offers
    取消 to `back`. A page of its own, not a JS dialog: it works on every phone and browser
    (WeChat's in-app browser included) and without JavaScript."""
    return render_template("labels/confirm_reissue.html", what=what, action=request.path,
                           back=back)


bp = Blueprint("labels", __name__)


def _refuse(title, message, status):
    return reject_reason(current_app.make_response(
        (render_template("labels/refused.html", title=title, message=message), status)), message)


@bp.route("/c/<token>", methods=["GET", "POST"])
@login_required
def open_label(token):
    """A scanned label: hand it to the feature that owns its kind (a GET never writes)."""
    label, estate = label_and_estate(token, current_user)
    if label is None or estate is None:  # another estate's label answers as an unknown one:
        # the answer tells nothing of other estates (issue 16)
        return _refuse("无法识别的标签", "这个二维码不是您所在小区的有效标签，本次不记录。", 404)
    if not label.active:
        return _refuse("标签已作废", "这个标签已经作废（主管已重新发放新标签），本次不记录。"
                       "请告知主管更换现场标签。", 410)
    if session.get("estate_id") != label.estate_id:
        session["estate_id"] = label.estate_id  # the label's estate becomes the current one
    g.estate = estate  # what auth.current_estate() now finds, without asking again
    for feature in current_app.extensions["wyapp.features"]:
        view = feature.label_kinds.get(label.kind)
        if view is not None:
            return view(label)
    abort(404)


feature = Feature(name="labels", blueprint=bp, migrations=MigrationGroup("labels", [Label]))
