"""The Notes example hosted behind the proxy, unchanged (APP_MODULE=examples.notes:create_app()): its
links, redirect after a POST, session cookie, static file and error page come out right at the
prefix, with the client's host and scheme, over HTTP and HTTPS, and in a browser clicking through it.

scripts/test runs the smoke suite once with this app deployed; conftest selects this module then.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.smoke import browser
from tests.support import links

APP_MODULE = "examples.notes:create_app()"


def test_every_link_on_every_page_carries_the_prefix_and_resolves(base, prefix):
    seen, queue = set(), [f"{base}{prefix}/"]
    with requests.Session() as session:
        while queue:
            url = queue.pop()
            r = session.get(url, timeout=30)
            assert r.status_code == 200, url
            seen.add(url)
            if "text/html" not in r.headers["Content-Type"]:
                continue
            for link in links(r.text):
                absolute = urljoin(url, link)
                assert urlsplit(absolute).netloc == urlsplit(base).netloc, (url, link)
                assert urlsplit(absolute).path.startswith(f"{prefix}/"), (url, link)
                if absolute not in seen and absolute not in queue:
                    queue.append(absolute)
    assert {f"{base}{prefix}/", f"{base}{prefix}/notes/", f"{base}{prefix}/about",
            f"{base}{prefix}/static/notes.css"} <= seen


def test_post_redirect_get_keeps_the_prefix_and_the_session_cookie_is_scoped_to_it(base, prefix):
    with requests.Session() as session:
        saved = session.post(f"{base}{prefix}/notes/", data={"text": "buy milk"}, allow_redirects=False, timeout=30)
        assert (saved.status_code, saved.headers["Location"]) == (303, f"{prefix}/notes/")
        cookie = saved.headers["Set-Cookie"]
        assert f"Path={prefix};" in cookie + ";" and "HttpOnly" in cookie and "Secure" not in cookie
        listed = session.get(urljoin(f"{base}{prefix}/notes/", saved.headers["Location"]), timeout=30)
        assert '<li class="note">buy milk</li>' in listed.text


def test_over_https_links_use_https_and_the_session_cookie_is_secure(tls, s, prefix):
    https = f"https://localhost:{s['IIS_HTTPS_PORT']}"
    with requests.Session() as session:  # verify per request: REQUESTS_CA_BUNDLE would win over session.verify
        saved = session.post(f"{https}{prefix}/notes/", data={"text": "over tls"}, allow_redirects=False, timeout=30,
                             verify=tls["ca"])
        assert saved.status_code == 303 and "Secure" in saved.headers["Set-Cookie"]
        home = session.get(f"{https}{prefix}/", timeout=30, verify=tls["ca"]).text
    assert f'class="self" href="{https}{prefix}/"' in home


def test_its_error_page_and_static_file_come_through(base, prefix):
    missing = requests.get(f"{base}{prefix}/no-such-page", timeout=30)
    assert missing.status_code == 404 and "Not found in Notes" in missing.text
    css = requests.get(f"{base}{prefix}/static/notes.css", timeout=30)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


FIRST_EVENT_BOUND = 1.0  # seconds to the first event through the proxy, of a stream lasting 4 s


def test_server_sent_events_arrive_as_they_are_sent(base, prefix):
    """Nothing on the way (IIS/ARR with responseBufferLimit=0, the app server) holds the stream."""
    import time

    started = time.monotonic()
    arrivals = []
    with requests.get(f"{base}{prefix}/events?count=5&interval=1", stream=True, timeout=30,
                      headers={"Accept": "text/event-stream", "Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert "Content-Encoding" not in r.headers
        for line in r.iter_lines(chunk_size=1):
            if line.startswith(b"data: "):
                arrivals.append(time.monotonic() - started)
    print(f"server-sent events through the proxy: first after {arrivals[0] * 1000:.0f} ms, "
          f"last after {arrivals[-1]:.1f} s")
    assert len(arrivals) == 5
    assert arrivals[0] < FIRST_EVENT_BOUND and arrivals[-1] >= 4.0


@pytest.fixture(scope="module")
def page():
    with browser.page() as p:
        yield p


def test_a_browser_clicks_through_the_app(page, base, prefix):
    page.goto(f"{base}{prefix}/")
    page.get_by_role("link", name="Notes", exact=True).click()
    page.wait_for_url(f"{base}{prefix}/notes/")
    page.get_by_label("Note").fill("call the IIS team")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}{prefix}/notes/")  # after the 303: the list, not the POST
    assert page.locator(".flash").inner_text() == "Note saved."
    note = page.locator(".note", has_text="call the IIS team")
    # Colours from notes.css: the stylesheet link worked through the proxy.
    assert note.evaluate("e => getComputedStyle(e).color") == "rgb(0, 100, 0)"
    page.get_by_role("link", name="About").click()
    page.wait_for_url(f"{base}{prefix}/about")
    page.get_by_role("link", name="Back home").click()
    page.wait_for_url(f"{base}{prefix}/")
    assert page.locator("main p").first.inner_text().startswith("You have 1 notes.")
    response = page.goto(f"{base}{prefix}/no-such-page")
    assert response.status == 404
    page.get_by_role("link", name="Go home").click()
    page.wait_for_url(f"{base}{prefix}/")
