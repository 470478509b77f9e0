"""Group robot settings (主管, 物业经理): robots, 测试发送 with the answer, recent deliveries."""
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..errors import DomainError, show_error
from ..guards import needs_estate
from ..web import render
from .deliveries import send_test
from .forms import RobotForm
from .models import FAILED, Delivery, Robot
from .setup import save_robot

bp = needs_estate(Blueprint("alerts", __name__, url_prefix="/alerts"))
BOSS = ("supervisor", "manager")


def _robot_page(robot, form, test=None, status=200):
    failures = (Delivery.select().where(Delivery.robot == robot, Delivery.status == FAILED)
                .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(10))
    return render("alerts/robot.html", "test_result", robot=robot, form=form, test=test,
                  deliveries=Delivery.recent(robot), failures=failures,
                  base_url=current_app.config.get("BASE_URL")), status


@bp.route("/robots", methods=["GET", "POST"])
@role_required(*BOSS)
def robots():
    """The estate's group robots (URLs masked) and the form for a new one."""
    estate, form = current_estate(), RobotForm()
    if form.validate_on_submit():
        try:
            robot = save_robot(estate, form.values(), current_user)
        except DomainError as error:
            show_error(form, error, default="name")
        else:
            flash("群机器人已保存，可以点“测试发送”试一试。", "success")
            return redirect(url_for("alerts.robot", robot_id=robot.id))
    return render("alerts/robots.html", robots=scoped(Robot).order_by(Robot.id), form=form,
                  base_url=current_app.config.get("BASE_URL")), 422 if form.errors else 200


@bp.route("/robots/<int:robot_id>", methods=["GET", "POST"])
@role_required(*BOSS)
def robot(robot_id):
    """One robot: change it (webhook and secret left empty keep the saved ones), its last
    deliveries and failures."""
    robot = get_or_404(Robot, robot_id)
    form = RobotForm.of(robot)
    if form.validate_on_submit():
        try:
            save_robot(robot.estate, form.values(), current_user, robot)
        except DomainError as error:
            show_error(form, error, default="name")
        else:
            flash("群机器人已保存。", "success")
            return redirect(url_for("alerts.robot", robot_id=robot.id))
    return _robot_page(robot, form, status=422 if form.errors else 200)


@bp.post("/robots/<int:robot_id>/test")
@role_required(*BOSS)
def robot_test(robot_id):
    """测试发送: post a test message now and show the robot's answer."""
    robot = get_or_404(Robot, robot_id)
    form = RobotForm.of(robot, formdata=None)
    return _robot_page(robot, form, test=send_test(robot))
