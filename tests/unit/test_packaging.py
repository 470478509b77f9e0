"""A plain `pip install .` (a built wheel) carries templates and static files and runs."""
import subprocess
import sys
import zipfile

import pytest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    root = __file__.rsplit("/tests/", 1)[0]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    root], check=True, capture_output=True)
    return next(out.glob("wyapp-*.whl"))


def test_wheel_carries_templates_and_static(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("wyapp/__init__.py", "wyapp/templates/base.html",
                     "wyapp/templates/pdf/_base.html", "wyapp/static/css/app.css",
                     "wyapp/static/icons/icon-512.png", "wyapp/static/vendor/htmx.min.js"):
        assert required in names, required


def test_installed_wheel_serves_the_login_page(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from wyapp import create_app;"
        "app = create_app({'DATA_DIR': sys.argv[2], 'SECRET_KEY': 'x'});"
        "assert app.template_folder.startswith(sys.argv[1]), app.template_folder;"
        "from wyapp.cli import migration_groups; from wyapp.db import db, migrate;"
        "ctx = app.app_context(); ctx.push(); db.connect(); migrate(migration_groups());"
        "c = app.test_client(); r = c.get('/login');"
        "assert r.status_code == 200 and '用户名' in r.text, r.status_code;"
        "assert c.get('/static/css/app.css').status_code == 200; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", script, str(target), str(tmp_path / "d")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
