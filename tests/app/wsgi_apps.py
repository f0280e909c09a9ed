"""Apps for the loader and hosting tests: plain WSGI, factories, and ones that fail to load."""


def plain(environ, start_response):
    """A WSGI app with no framework: echoes where it was mounted, and sets a root-path cookie."""
    body = f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|{environ.get('CONTENT_LENGTH', '')}|".encode()
    body += environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "pref=1; Path=/; HttpOnly"),
                              ("Set-Cookie", "scoped=1; Path=/myApp/area")])
    return [body]


def factory():
    return plain


def failing_factory():
    raise RuntimeError("the database is not configured")


NOT_AN_APP = 42


def who(environ, start_response):
    """Says which user the app was given, and whether the raw header reached it."""
    body = f"{environ.get('REMOTE_USER', '-')}|{environ.get('HTTP_X_REMOTE_USER', '-')}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
