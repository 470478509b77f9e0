"""Administration: estates, buildings, units (with CSV import) and staff accounts."""
from ..features import Feature, HomePanel, NavItem
from .views import admin_panel, bp

ADMIN = frozenset({"admin"})

feature = Feature(
    name="admin",
    blueprint=bp,
    nav=[NavItem("管理", "admin.estates", ADMIN, "settings", order=80)],
    home_panels=[HomePanel(ADMIN, "admin/_panel.html", admin_panel, order=10)],
)
