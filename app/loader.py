"""APP_MODULE: which WSGI app to host, named the way gunicorn names one.

    package.module:name       an attribute that is a WSGI app
    package.module:factory()  a factory called with no arguments, returning one

Anything that goes wrong (no such module, no such attribute, an exception while importing or in the
factory, something that is not callable) is one AppLoadError that names the part and the cause, so
the launcher can say it and exit instead of serving nothing.
"""
from __future__ import annotations

import importlib
import inspect
import re
import traceback

SPEC = re.compile(r"(?P<module>[A-Za-z_][\w.]*):(?P<name>[A-Za-z_][\w.]*)(?P<call>\(\))?")


class AppLoadError(Exception):
    pass


def load_app(spec: str):
    match = SPEC.fullmatch(spec)
    if not match:
        raise AppLoadError(f"APP_MODULE={spec!r} is not 'package.module:name' or 'package.module:factory()'")
    module_name, name = match["module"], match["name"]
    try:
        target = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any error in the user's module is reported, not a crash
        # The named module itself missing, not something it imports in turn.
        if isinstance(exc, ModuleNotFoundError) and exc.name and module_name.startswith(exc.name):
            raise AppLoadError(f"APP_MODULE={spec!r}: no module named {exc.name!r} (is it copied into the image?)") \
                from None
        raise AppLoadError(f"APP_MODULE={spec!r}: importing {module_name} failed:\n{_last_frames(exc)}") from None
    for part in name.split("."):
        if not hasattr(target, part):
            raise AppLoadError(f"APP_MODULE={spec!r}: {module_name} has no attribute {name!r}")
        target = getattr(target, part)
    if match["call"]:
        try:
            target = target()
        except Exception as exc:  # noqa: BLE001
            raise AppLoadError(f"APP_MODULE={spec!r}: {name}() failed:\n{_last_frames(exc)}") from None
    if not callable(target):
        raise AppLoadError(f"APP_MODULE={spec!r}: {name} is a {type(target).__name__}, not a WSGI app")
    if not match["call"] and inspect.isroutine(target) and not _takes_wsgi_arguments(target):
        raise AppLoadError(f"APP_MODULE={spec!r}: {name} does not take (environ, start_response); "
                           f"if it is a factory, write {module_name}:{name}()")
    # Never the debugger's error pages, whatever the environment says (FLASK_DEBUG); Flask apps only.
    if hasattr(target, "debug") and hasattr(target, "wsgi_app"):
        target.debug = False
    return target


def _takes_wsgi_arguments(function) -> bool:
    try:
        inspect.signature(function).bind(object(), object())
    except (TypeError, ValueError):
        return False
    return True


def _last_frames(exc: BaseException, frames: int = 4) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-frames)).rstrip()
