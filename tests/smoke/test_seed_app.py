"""The original post's app through the proxy (the default APP_MODULE): its routes, the prefix in any
case, and the stack under a burst of requests."""
import requests

APP_MODULE = "app.web:create_app()"  # the app this module tests (conftest selects by it)


def get(url, **kw):
    return requests.get(url, timeout=30, allow_redirects=False, **kw)


def test_hello_world(base, prefix):
    r = get(f"{base}{prefix}/")
    assert (r.status_code, r.text) == (200, "Hello World!!!")


def test_help_page(base, prefix):
    r = get(f"{base}{prefix}/help")
    assert (r.status_code, r.text) == (200, "This is the Help Page")


def test_prefix_in_any_case_reaches_the_app(base, prefix):
    r = get(f"{base}{prefix.upper()}/help")
    assert (r.status_code, r.text) == (200, "This is the Help Page")


def test_no_version_revealing_headers(base, prefix):
    r = get(f"{base}{prefix}/help")
    assert "X-Powered-By" not in r.headers
    assert "Server" not in r.headers or "Microsoft-IIS" not in r.headers["Server"]


def test_concurrent_requests_all_complete(base, prefix):
    from concurrent.futures import ThreadPoolExecutor

    def fetch(i):
        with requests.Session() as session:
            return [session.get(f"{base}{prefix}/help?n={i}-{j}", timeout=30) for j in range(10)]

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = [r for batch in pool.map(fetch, range(64)) for r in batch]
    assert len(responses) == 640
    assert {(r.status_code, r.text) for r in responses} == {(200, "This is the Help Page")}
