"""APP_MODULE: which app to host, WSGI or ASGI, named the way gunicorn and uvicorn name one.

    package.module:name       an attribute that is a WSGI or ASGI app
    package.module:factory()  a factory called with no arguments, returning one

Which of the two it is, is read from the app itself (interface()), not from a setting.

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
        raise AppLoadError(f"APP_MODULE={spec!r}: {name} is a {type(target).__name__}, not a WSGI or ASGI app")
    if not match["call"] and inspect.isroutine(target) and not _takes(target, 3 if interface(target) == "asgi" else 2):
        raise AppLoadError(f"APP_MODULE={spec!r}: {name} does not take (environ, start_response) nor "
                           f"(scope, receive, send); if it is a factory, write {module_name}:{name}()")
    # Never the debugger's error pages, whatever the environment says (FLASK_DEBUG); Flask apps only.
    if hasattr(target, "debug") and hasattr(target, "wsgi_app"):
        target.debug = False
    return target


def interface(app) -> str:
    """"asgi" for an ASGI 3 app: a coroutine function, or an object whose __call__ is one (FastAPI,
    Starlette, Quart, Django's ASGIHandler, anything marked with inspect.markcoroutinefunction);
    "wsgi" for any other callable. uvicorn and asgiref tell ASGI 3 apart the same way; no WSGI app
    is a coroutine function, so detection cannot take one for the other, and there is no setting
    to get wrong. ASGI 2 apps (a class called twice) are not hosted: every current framework is ASGI 3."""
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else type(app).__call__
    return "asgi" if inspect.iscoroutinefunction(call) else "wsgi"


def _takes(function, count: int) -> bool:
    try:
        inspect.signature(function).bind(*[object()] * count)
    except (TypeError, ValueError):
        return False
    return True


def _last_frames(exc: BaseException, frames: int = 4) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-frames)).rstrip()
