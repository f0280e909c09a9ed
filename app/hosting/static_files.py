"""IIS serves /<prefix>/static/ from a copy of APP_STATIC_DIR made when its image is built
(iis/web.config, "Static files from IIS"). The app is the truth about which folder that should be:
at start, this checks that the hosted app's static folder is APP_STATIC_DIR, so that IIS can never
silently serve other files than the app's pages link to.
"""
from __future__ import annotations

from pathlib import Path

from ..config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Where IIS answers: the rule's /<prefix>/static/, i.e. Flask's default static_url_path.
STATIC_URL_PATH = "/static"


def check_static_folder(app, static_dir: str) -> str | None:
    """Raises ConfigError on a mismatch; returns a warning when the app cannot be checked."""
    if not hasattr(app, "static_folder"):
        return (f"app: IIS serves /<prefix>{STATIC_URL_PATH}/ from APP_STATIC_DIR={static_dir}; the hosted app"
                f" ({type(app).__name__}) is not a Flask app, so that its folder is its own could not be checked")
    folder = app.static_folder
    if folder is None:
        raise ConfigError("IIS_STATIC_FILES=true, but the hosted app has no static folder (static_folder=None):"
                          " set IIS_STATIC_FILES=false")
    expected = (PROJECT_ROOT / static_dir).resolve()
    actual = Path(folder).resolve()
    if actual != expected:
        try:
            hint = f"APP_STATIC_DIR={actual.relative_to(PROJECT_ROOT).as_posix()}"
        except ValueError:
            hint = "a folder inside the project, or IIS_STATIC_FILES=false"
        raise ConfigError(f"APP_STATIC_DIR={static_dir} is {expected}, but the app's static folder is {actual}:"
                          f" IIS would serve other files than the app links to. Set {hint}")
    url_path = getattr(app, "static_url_path", None)
    if url_path != STATIC_URL_PATH:
        raise ConfigError(f"the app serves its static files at {url_path!r}, but IIS serves them at "
                          f"/<prefix>{STATIC_URL_PATH}/: keep Flask's default static_url_path, or set "
                          "IIS_STATIC_FILES=false")
    return None
