"""The project's own iis/web.config + server.config through the stand-in's engine: the request
matrix of what the deployment must do (forwarding, anchors, case, encoding, filtering, HTTPS)."""
import pytest

from standin import filtering
from standin.config import load
from standin.engine import evaluate
from standin.request import Request
from tests.paths import SERVER_CONFIG, WEB_CONFIG


@pytest.fixture
def evaluate_url(project_env):
    def run(target, env=None, scheme="http", host="example.test:8080", content_length=None):
        config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ={**project_env, **(env or {})})
        req = Request("GET", target, [("Host", host)], scheme=scheme)
        rejection = filtering.http_sys(req) or filtering.request_filtering(req, config, content_length)
        return rejection or evaluate(config, req)

    return run


@pytest.fixture
def backend(project_env):
    return f"http://{project_env['APP_HOST']}:{project_env['APP_PORT']}"


@pytest.fixture
def prefix(project_env):
    return project_env["APP_PREFIX"]


@pytest.mark.parametrize("path,forwarded", [
    ("", ""), ("/", "/"), ("/help", "/help"), ("/x?y=1&z=%20", "/x?y=1&z=%20"), ("/a%20b", "/a%20b"),
    ("/%C3%A9", "/%C3%A9"),
])
def test_prefix_and_below_are_forwarded_with_the_prefix_kept_and_query_once(evaluate_url, backend, prefix, path,
                                                                             forwarded):
    out = evaluate_url(f"/{prefix}{path}")
    assert (out.kind, out.url) == ("proxy", f"{backend}/{prefix}{forwarded}")


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_prefix_in_any_case_is_forwarded_in_its_canonical_case(evaluate_url, backend, prefix, case):
    out = evaluate_url(f"/{case(prefix)}/help")
    assert out.url == f"{backend}/{prefix}/help"


@pytest.mark.parametrize("path", ["/{p}X", "/{p}X/help", "/other/{p}/x", "/", "/help", "/x{p}"])
def test_lookalikes_and_other_paths_stay_with_iis(evaluate_url, prefix, path):
    assert evaluate_url(path.format(p=prefix)).kind == "site"


def test_encoded_slash_is_forwarded_decoded_as_iis_does(evaluate_url, backend, prefix):
    # HTTP.sys decodes %2F before URL Rewrite sees the path (docs/standin.md B04, B29).
    assert evaluate_url(f"/{prefix}/a%2Fb").url == f"{backend}/{prefix}/a/b"


def test_encoded_question_mark_in_the_path_becomes_a_query_separator(evaluate_url, backend, prefix):
    # {R:1} is decoded, and the substituted URL is a string in which "?" starts the query.
    # INFERRED (docs/standin.md B29): confirm on IIS; README's troubleshooting names the way around it.
    assert evaluate_url(f"/{prefix}/a%3Fb").url == f"{backend}/{prefix}/a?b"


def test_dot_segments_are_resolved_before_matching(evaluate_url, backend, prefix):
    assert evaluate_url(f"/x/../{prefix}/y").url == f"{backend}/{prefix}/y"
    assert evaluate_url(f"/{prefix}/../secret").kind == "site"


@pytest.mark.parametrize("path,substatus", [("/{p}/a+b", 11), ("/{p}/%252F", 11)])
def test_request_filtering_refuses_before_the_rule(evaluate_url, prefix, path, substatus):
    out = evaluate_url(path.format(p=prefix))
    assert (out.status, out.substatus) == (404, substatus)


def test_body_limit_comes_from_the_setting(evaluate_url, prefix, project_env):
    limit = int(project_env["MAX_BODY_BYTES"])
    assert evaluate_url(f"/{prefix}/", content_length=limit).kind == "proxy"
    assert (evaluate_url(f"/{prefix}/", content_length=limit + 1).substatus) == 13


def test_headers_set_for_the_app(evaluate_url, prefix):
    out = evaluate_url(f"/{prefix}/", host="www.example.com")
    # None: the header is removed (no WebSocket extension is ever offered to the app, W45).
    assert out.header_changes == {"x-original-host": "www.example.com", "x-forwarded-proto": "http",
                                  "sec-websocket-extensions": None}
    out = evaluate_url(f"/{prefix}/", scheme="https", host="www.example.com")
    assert out.header_changes["x-forwarded-proto"] == "https"


def test_https_redirect_is_off_by_default_and_on_by_setting(evaluate_url, prefix, project_env):
    assert evaluate_url(f"/{prefix}/help?x=1").kind == "proxy"
    on = {"REDIRECT_TO_HTTPS": "true"}
    out = evaluate_url(f"/{prefix}/help?x=1", env=on, host="www.example.com:8080")
    assert (out.kind, out.status) == ("redirect", 301)
    assert out.url == f"https://www.example.com:{project_env['IIS_HTTPS_PORT']}/{prefix}/help?x=1"
    assert evaluate_url(f"/{prefix}/help", env=on, scheme="https").kind == "proxy"


def test_another_prefix_and_port_flow_from_the_settings(evaluate_url):
    out = evaluate_url("/shop/help", env={"APP_PREFIX": "shop", "APP_PORT": "50200"})
    assert out.url.endswith(":50200/shop/help")
    assert evaluate_url("/myApp/help", env={"APP_PREFIX": "shop"}).kind == "site"


@pytest.mark.parametrize("path,served", [
    ("/static/site.css", "/static/site.css"), ("/static/css/a.css?v=3", "/static/css/a.css?v=3"),
    ("/static/../static/a.js", "/static/a.js"),
])
def test_static_files_are_served_by_the_site_from_its_static_folder(evaluate_url, prefix, path, served):
    out = evaluate_url(f"/{prefix}{path}")
    assert (out.kind, out.url) == ("site", served)


@pytest.mark.parametrize("path", ["/static", "/static/", "/staticx/a.css", "/x/static/a.css"])
def test_everything_else_below_the_prefix_still_goes_to_the_app(evaluate_url, backend, prefix, path):
    assert evaluate_url(f"/{prefix}{path}").url == f"{backend}/{prefix}{path}"


def test_with_iis_static_files_off_static_paths_go_to_the_app(evaluate_url, backend, prefix):
    out = evaluate_url(f"/{prefix}/static/site.css", env={"IIS_STATIC_FILES": "false"})
    assert (out.kind, out.url) == ("proxy", f"{backend}/{prefix}/static/site.css")


def test_the_static_cache_max_age_setting_reaches_client_cache(project_env):
    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ={**project_env, "STATIC_CACHE_MAX_AGE": "2.00:00:30"})
    assert (config.client_cache.mode, config.client_cache.max_age) == ("UseMaxAge", 2 * 86400 + 30)
    assert config.mime_types[".js"] == "text/javascript" and config.mime_types[".woff2"] == "font/woff2"


@pytest.mark.parametrize("allow,expected", [
    ("true", {"/": (True, True), "/{p}/x": (True, True), "/{p}/health": (True, True)}),
    ("false", {"/": (False, True), "/{p}/x": (False, True), "/{p}/static/a.css": (False, True),
               "/{p}/health": (True, True), "/{p}/healthy": (False, True)}),
])
def test_anonymous_access_is_off_only_where_sign_on_asks_for_it(project_env, prefix, allow, expected):
    """The project's server.config (README: Windows sign-on): Windows Authentication on for the
    site, anonymous access per IIS_ALLOW_ANONYMOUS, and the health path always anonymous."""
    from standin.authentication import Authentication

    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ={**project_env, "IIS_ALLOW_ANONYMOUS": allow})
    auth = Authentication(config, {})
    assert {path: auth.enabled(path.format(p=prefix)) for path in expected} == expected
    assert config.remote_user_module == ""  # registered, without a precondition: it runs for ARR


def aspnet_problems(config) -> list[str]:
    """The sign-on module brings ASP.NET's checks onto every request (docs/windows.md W38): the
    project's web.config must relax each, leaving request filtering's limits the only ones."""
    runtime, limits, problems = config.http_runtime, config.request_limits, []
    if runtime["maxUrlLength"] < limits["maxUrl"]:
        problems.append(f"maxUrlLength {runtime['maxUrlLength']} is below request filtering's maxUrl {limits['maxUrl']}")
    if runtime["maxQueryStringLength"] < limits["maxQueryString"]:
        problems.append(f"maxQueryStringLength {runtime['maxQueryStringLength']} is below maxQueryString "
                        f"{limits['maxQueryString']}")
    if runtime["requestPathInvalidCharacters"]:
        problems.append(f"requestPathInvalidCharacters {runtime['requestPathInvalidCharacters']!r} refuses paths IIS passes")
    if not runtime["relaxedUrlToFileSystemMapping"]:
        problems.append("relaxedUrlToFileSystemMapping is off: CON or a trailing dot is ASP.NET's 404")
    return problems


def test_aspnet_limits_are_at_least_request_filterings(project_env):
    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ=project_env)
    assert config.managed_pipeline  # the sign-on module runs for every request, so the checks apply
    assert aspnet_problems(config) == []


def test_a_web_config_without_the_aspnet_line_is_caught(project_env, tmp_path):
    text = WEB_CONFIG.read_text()
    start, end = text.index("  <system.web>"), text.index("</system.web>") + len("</system.web>")
    web = tmp_path / "web.config"
    web.write_text(text[:start] + text[end:])
    problems = aspnet_problems(load(web, SERVER_CONFIG, expand_env=True, environ=project_env))
    # ASP.NET's default query limit happens to equal request filtering's (2048): three, not four.
    assert [p.split()[0] for p in problems] == ["maxUrlLength", "requestPathInvalidCharacters",
                                                "relaxedUrlToFileSystemMapping"]
