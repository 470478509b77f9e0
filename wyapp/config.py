"""Configuration in one place: defaults, then WYAPP_* environment, then a test mapping."""
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "COMPANY_NAME": "示范物业服务有限公司",
    "TIMEZONE": "Asia/Shanghai",
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,  # a shift is longer than Flask-WTF's default hour
    "WTF_I18N_ENABLED": False,  # WTForms' own Chinese messages (BaseForm.Meta.locales), no Babel
    "TRUSTED_PROXIES": 0,
    "QUEUE_URL": "",
    "QUEUE_NAME": "wyapp",  # one name per installation sharing a Redis
    "BASE_URL": "",  # printed in QR labels, e.g. https://wy.example.com
    # group robots (alerts/): the hosts a webhook may point at (a comma-separated list in the
    # environment, e.g. for a private 企业微信 deployment) and how long a send may take
    "ALERTS_ALLOWED_HOSTS": ("qyapi.weixin.qq.com", "oapi.dingtalk.com"),
    "ALERTS_HTTP_TIMEOUT": 5.0,
    # files (storage.py): "" = under DATA_DIR; s3://bucket/prefix = an S3-compatible bucket
    # every host shares (credentials from the standard AWS_* variables)
    "STORAGE_URL": "",
    "STORAGE_ENDPOINT": "",  # e.g. https://oss-cn-shanghai.aliyuncs.com, http://minio:9000
    "STORAGE_REGION": "",
    "STORAGE_ADDRESSING": "auto",  # auto | path (MinIO, Ceph) | virtual (OSS, COS)
    "STORAGE_RETAIN_DAYS": 0,  # >0: archive objects locked (COMPLIANCE) that many days
}

# WYAPP_<NAME> environment variables read by load(); the README lists the same.
ENVIRONMENT = ("DATA_DIR", "DATABASE_URL", "SECRET_KEY", "COMPANY_NAME", "TIMEZONE",
               "TRUSTED_PROXIES", "QUEUE_URL", "QUEUE_NAME", "BASE_URL", "ALERTS_ALLOWED_HOSTS",
               "ALERTS_HTTP_TIMEOUT", "STORAGE_URL", "STORAGE_ENDPOINT", "STORAGE_REGION",
               "STORAGE_ADDRESSING", "STORAGE_RETAIN_DAYS",
               "EXPORTS_QUEUE_ROWS", "EXPORTS_KEEP_DAYS")  # exports/files.py reads them as int


def from_environment():
    """The defaults with the WYAPP_* environment over them, without side effects (the queue
    module reads its URL and data dir from here before any app exists)."""
    config = dict(DEFAULTS)
    config["DATA_DIR"] = "instance"
    for name in ENVIRONMENT:
        value = os.environ.get(f"WYAPP_{name}")
        if value:
            config[name] = value
    return config


def load(test_config=None):
    """Return the app's configuration as a dict."""
    config = from_environment()
    config.update(test_config or {})

    data_dir = Path(config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    config.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'wyapp.sqlite3'}")
    config["TRUSTED_PROXIES"] = int(config["TRUSTED_PROXIES"])
    config["ALERTS_HTTP_TIMEOUT"] = float(config["ALERTS_HTTP_TIMEOUT"])
    config["STORAGE_RETAIN_DAYS"] = int(config["STORAGE_RETAIN_DAYS"] or 0)
    if isinstance(config["ALERTS_ALLOWED_HOSTS"], str):
        config["ALERTS_ALLOWED_HOSTS"] = tuple(
            h.strip().lower() for h in config["ALERTS_ALLOWED_HOSTS"].split(",") if h.strip())
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _kept_secret(data_dir / "secret_key")
    return config


def _kept_secret(path):
    """A secret generated on first start and kept in the data dir, readable by its owner only."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
