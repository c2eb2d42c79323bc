"""Settings from environment variables, with secrets readable from files.

Every value may be given as NAME or as NAME_FILE (a path whose content is the value), so
that secrets never need to sit in the repository or in a process listing.
"""

import os
import secrets
from pathlib import Path


def envstr(name: str, default: str = "") -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = envstr(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = envstr(name, "")
    return int(value) if value.strip() else default


def envfloat(name: str, default: float) -> float:
    value = envstr(name, "")
    return float(value) if value.strip() else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into var/secret_key."""
    value = envstr("SECRET_KEY")
    if value:
        return value
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
