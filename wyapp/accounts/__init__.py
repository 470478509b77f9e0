"""Accounts: login, the role home page, own password, estate switch, notifications."""
from ..features import Feature, HomePanel, NavItem
from .views import bp, notifications_panel

ANYONE = frozenset({"guard", "gate", "engineer", "desk", "supervisor", "manager", "admin"})

feature = Feature(
    name="accounts",
    blueprint=bp,
    nav=[NavItem("首页", "accounts.home", ANYONE, "home", order=0),
         NavItem("我的", "accounts.me", ANYONE, "user", order=99)],
    home_panels=[HomePanel(ANYONE, "accounts/_panel_notifications.html", notifications_panel,
                           order=90)],
)
