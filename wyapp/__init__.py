"""wyapp: the phone-first work system of a property-management office."""
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config, db, features, guards, web
from .auth import login_manager
from .models import record_number

csrf = CSRFProtect()
htmx = Htmx()


def _resource_dir(name):
    """templates/ and static/ sit beside the package in a checkout and inside it in a wheel."""
    here = Path(__file__).resolve().parent
    return str(here / name if (here / name).is_dir() else here.parent / name)


def create_app(test_config=None):
    app = Flask(__name__, template_folder=_resource_dir("templates"),
                static_folder=_resource_dir("static"))
    app.config.from_mapping(config.load(test_config))
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    web.init_app(app)
    guards.init_app(app)

    app.extensions["wyapp.features"] = features.enabled()
    app.add_template_global(features.record_link, "record_link")
    app.add_template_global(record_number, "record_number")
    for feature in app.extensions["wyapp.features"]:
        if feature.blueprint is not None:
            app.register_blueprint(feature.blueprint)
    return app
