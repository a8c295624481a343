"""Knowledge-base management behind the web page: the admin password and upload checks."""
from __future__ import annotations

import hmac
import os
import re
import shutil
import threading
import time
import unicodedata
from pathlib import Path

from ingest.loaders import REFUSED, SUFFIXES

MAX_NAME = 120
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class AccessDenied(PermissionError):
    pass


class AdminGate:
    """Checks the admin password; each wrong try in a row doubles the wait before the answer."""

    def __init__(self, password: str | None, base_delay: float = 0.5, max_delay: float = 8.0):
        self.password = password
        self.base_delay, self.max_delay = base_delay, max_delay
        self.failures = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return not self.password

    def check(self, attempt: str | None, count: bool = True) -> None:
        """AccessDenied after the wait for a wrong password. `count=False` is for a page refresh
        chained after an action that was already checked: it waits as long but does not count
        the same wrong password again."""
        if self.open:
            return
        ok = hmac.compare_digest((attempt or "").encode(), self.password.encode())
        with self._lock:
            if count or ok:
                self.failures = 0 if ok else self.failures + 1
            delay = 0 if ok else min(self.base_delay * 2 ** max(self.failures - 1, 0), self.max_delay)
        if not ok:
            time.sleep(delay)
            raise AccessDenied("管理员密码错误")


def safe_name(name: str) -> str:
    """The bare file name, or ValueError: no folders, no hidden files, no control characters."""
    name = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name).strip()
    if not name or name.startswith(".") or _UNSAFE.search(name) or len(name) > MAX_NAME or ".." in name:
        raise ValueError(f"{name or '(empty)'}: not an acceptable file name; use letters, digits and .-_ only")
    suffix = Path(name).suffix.lower()
    if suffix in REFUSED:
        raise ValueError(f"{name}: {REFUSED[suffix]}")
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: unsupported file type; upload {', '.join(SUFFIXES)}")
    return name


def save_uploads(folder: Path, uploads: list[tuple[str, Path]], max_bytes: int) -> tuple[list[Path], dict[str, str]]:
    """Copy uploaded files into the knowledge-base folder; (saved paths, {name: why refused})."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    saved, refused = [], {}
    for original, temp in uploads:
        try:
            name = safe_name(original)
            size = Path(temp).stat().st_size
            if size > max_bytes:
                raise ValueError(f"{name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
            target = folder / name
            if target.is_symlink():
                target.unlink()          # never write through a link placed in the folder
            tmp = folder / f".{name}.upload"
            shutil.copyfile(temp, tmp)
            os.replace(tmp, target)
            saved.append(target)
        except (ValueError, OSError) as exc:
            refused[Path(str(original)).name or str(original)] = str(exc)
    return saved, refused
