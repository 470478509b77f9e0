import os
import stat

from wyapp import config


def test_secret_key_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("WYAPP_SECRET_KEY", raising=False)
    first = config.load({"DATA_DIR": str(tmp_path)})
    second = config.load({"DATA_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first["SECRET_KEY"] == second["SECRET_KEY"] == key_file.read_text()
    assert len(first["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("WYAPP_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("WYAPP_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("WYAPP_SECRET_KEY", "from-env")
    loaded = config.load()
    assert loaded["DATA_DIR"] == str(tmp_path / "d")
    assert loaded["DATABASE_URL"] == "postgresql://u@h/db"
    assert loaded["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "d" / "secret_key").exists()


def test_default_database_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("WYAPP_DATABASE_URL", raising=False)
    loaded = config.load({"DATA_DIR": str(tmp_path)})
    assert loaded["DATABASE_URL"] == f"sqlite:///{tmp_path / 'wyapp.sqlite3'}"
