"""Where Rekall keeps its data, config and cache, per platform and environment."""

from __future__ import annotations

import os
from pathlib import Path

# platformdirs is imported only when an environment variable does not name the folder: it
# imports tempfile, shutil, random, bz2 and lzma, ~5 ms of a cold search.
APP_NAME = "rekall"
DB_FILENAME = "rekall.db"


def data_dir() -> Path:
    """The data directory: $REKALL_HOME, else the platform's user data dir."""
    home = os.environ.get("REKALL_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def db_path() -> Path:
    """The one SQLite file holding all entries."""
    return data_dir() / DB_FILENAME


def config_path() -> Path:
    """The TOML config file: $REKALL_CONFIG, else config.toml in the platform config dir."""
    explicit = os.environ.get("REKALL_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def cache_dir() -> Path:
    """The cache directory (downloaded model files): $REKALL_CACHE_DIR or the platform's."""
    explicit = os.environ.get("REKALL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
