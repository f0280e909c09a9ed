"""Conformance of the rule engine, one or more tests per row of docs/standin.md (IDs B01…)."""
import pytest

from standin.engine import header_name

PROXY = '<action type="Rewrite" url="http://backend:8000/{R:0}" />'


def rule(match, action=PROXY, *, name="r", attrs="", conditions="", sets=""):
    return (f'<rule name="{name}" {attrs}><match {match} />{conditions}'
            f'<serverVariables>{sets}</serverVariables>{action}</rule>')


def test_B01_rules_run_in_order_and_first_stop_wins(run):
    rules = (rule('url="^a"', '<action type="Rewrite" url="http://one/{R:0}" />', name="1", attrs='stopProcessing="true"')
             + rule('url="^a"', '<action type="Rewrite" url="http://two/{R:0}" />', name="2"))
    out = run(rules, "/abc")
    assert out.url == "http://one/a"
    assert [r.get("matched") for r in out.trace] == [True]


def test_B02_disabled_rule_is_skipped(run):
    out = run(rule('url=".*"', attrs='enabled="false"'), "/x")
    assert out.kind == "site" and out.trace[0]["enabled"] is False


def test_B03_rewrite_changes_input_of_later_rules(run):
    rules = (rule('url="^old/(.*)"', '<action type="Rewrite" url="new/{R:1}" />', name="1")
             + rule('url="^new/(.*)"', '<action type="Rewrite" url="http://b/{R:1}" />', name="2"))
    out = run(rules, "/old/page")
    assert out.trace[1]["input"] == "new/page"
    assert out.url == "http://b/page"


def test_B03_relative_rewrite_is_served_by_the_site(run):
    out = run(rule('url="^pretty$"', '<action type="Rewrite" url="real.htm" />', attrs='stopProcessing="true"'),
              "/pretty")
    assert (out.kind, out.url) == ("site", "/real.htm")


def test_B04_input_has_no_leading_slash_no_query_and_is_decoded(run):
    out = run(rule('url=".*"'), "/content/a%20b/default.aspx?tabid=2")
    assert out.trace[0]["input"] == "content/a b/default.aspx"


def test_B04_dot_segments_are_removed_before_matching(run):
    out = run(rule('url="^myApp/y$"'), "/x/../myApp/y")
    assert out.trace[0]["matched"] is True


@pytest.mark.parametrize("path,matched", [("/blogger", True), ("/demo/blog", True), ("/BLOG", True), ("/blg", False)])
def test_B05_ecmascript_searches_anywhere_case_insensitive(run, path, matched):
    assert run(rule('url="blog"'), path).trace[0]["matched"] is matched


def test_B06_ignore_case_false_is_case_sensitive(run):
    assert run(rule('url="^myApp" ignoreCase="false"'), "/MYAPP").trace[0]["matched"] is False
    assert run(rule('url="^myApp" ignoreCase="false"'), "/myApp").trace[0]["matched"] is True


def test_B07_negate_matches_when_pattern_does_not(run):
    out = run(rule('url="^myApp" negate="true"', '<action type="CustomResponse" statusCode="403" />'), "/other")
    assert out.status == 403 and out.trace[0]["captures"] == []


def test_B08_wildcard_is_whole_string_and_each_star_captures(run):
    out = run(rule('url="*.*"', '<action type="Rewrite" url="http://b/{R:2}/{R:1}" />', attrs='patternSyntax="Wildcard"'),
              "/logo.jpg")
    assert out.trace[0]["captures"] == ["logo.jpg", "logo", "jpg"]
    assert out.url == "http://b/jpg/logo"
    assert run(rule('url="logo"', attrs='patternSyntax="Wildcard"'), "/logo.jpg").trace[0]["matched"] is False


def test_B09_exact_match_compares_whole_string_ignoring_case(run):
    assert run(rule('url="Help"', attrs='patternSyntax="ExactMatch"'), "/help").trace[0]["matched"] is True
    assert run(rule('url="Help"', attrs='patternSyntax="ExactMatch"'), "/help2").trace[0]["matched"] is False


def test_B10_conditions_match_all(run):
    conds = ('<conditions><add input="{HTTP_HOST}" pattern="^example" />'
             '<add input="{QUERY_STRING}" pattern="a=1" /></conditions>')
    assert run(rule('url=".*"', conditions=conds), "/x?a=1").kind == "proxy"
    assert run(rule('url=".*"', conditions=conds), "/x?a=2").kind == "site"


def test_B11_conditions_match_any(run):
    conds = ('<conditions logicalGrouping="MatchAny"><add input="{QUERY_STRING}" pattern="a=1" />'
             '<add input="{QUERY_STRING}" pattern="b=1" /></conditions>')
    assert run(rule('url=".*"', conditions=conds), "/x?b=1").kind == "proxy"
    assert run(rule('url=".*"', conditions=conds), "/x?c=1").kind == "site"


def test_B12_condition_negate_and_ignore_case(run):
    conds = '<conditions><add input="{HTTP_HOST}" pattern="^EXAMPLE" ignoreCase="false" negate="true" /></conditions>'
    assert run(rule('url=".*"', conditions=conds), "/x").kind == "proxy"


def test_B13_condition_backrefs_come_from_last_matched_condition(run):
    conds = ('<conditions><add input="{HTTP_HOST}" pattern="^(\\w+)\\." />'
             '<add input="{QUERY_STRING}" pattern="id=(\\d+)" /></conditions>')
    out = run(rule('url=".*"', '<action type="Rewrite" url="http://b/{C:1}" />', conditions=conds), "/x?id=42")
    assert out.url.startswith("http://b/42")


def test_B14_track_all_captures_accumulates_as_documented(run):
    # The 2.0 reference's own example.
    conds = ('<conditions trackAllCaptures="true">'
             '<add input="{URL}" pattern="^/([a-zA-Z]+)/([0-9]+)/$" />'
             '<add input="{QUERY_STRING}" pattern="p2=([a-z]+)" /></conditions>')
    out = run(rule('url=".*"', '<action type="Rewrite" url="http://b{C:0}|{C:1}|{C:2}|{C:3}" appendQueryString="false" />',
                   conditions=conds), "/article/23/?p1=123&p2=abc")
    assert out.url == "http://b/article/23/%7Carticle%7C23%7Cabc"


def test_B15_condition_input_sees_previous_condition_captures(run):
    conds = ('<conditions><add input="{QUERY_STRING}" pattern="k=(\\w+)" />'
             '<add input="{C:1}" pattern="^yes$" /></conditions>')
    assert run(rule('url=".*"', conditions=conds), "/x?k=yes").kind == "proxy"
    assert run(rule('url=".*"', conditions=conds), "/x?k=no").kind == "site"


def test_B16_is_file_and_is_directory_check_the_site(run, tmp_path):
    (tmp_path / "there.txt").write_text("x")
    (tmp_path / "dir").mkdir()
    file_cond = '<conditions><add input="{REQUEST_FILENAME}" matchType="IsFile" negate="true" /></conditions>'
    assert run(rule('url=".*"', conditions=file_cond), "/there.txt").kind == "site"
    assert run(rule('url=".*"', conditions=file_cond), "/missing.txt").kind == "proxy"
    dir_cond = '<conditions><add input="{REQUEST_FILENAME}" matchType="IsDirectory" /></conditions>'
    assert run(rule('url=".*"', conditions=dir_cond), "/dir").kind == "proxy"


@pytest.mark.parametrize("var,expected", [
    ("HTTP_HOST", "example.test:8080"), ("HTTP_USER_AGENT", "probe/1"), ("HTTPS", "off"), ("SERVER_PORT", "8080"),
    ("QUERY_STRING", "a=1&b=%20"), ("REQUEST_URI", "/p%20q?a=1&b=%20"), ("UNENCODED_URL", "/p%20q?a=1&b=%20"),
    ("URL", "/p q"), ("CACHE_URL", "http://example.test:8080/p q?a=1&b=%20"), ("REMOTE_ADDR", "10.9.8.7"),
    ("REQUEST_METHOD", "GET"), ("SERVER_PORT_SECURE", "0"), ("HTTP_X_ABSENT", ""),
])
def test_B17_server_variables(run, var, expected):
    conds = f'<conditions><add input="{{{var}}}" pattern=".*" /></conditions>'
    out = run(rule('url=".*"', conditions=conds), "/p%20q?a=1&b=%20",
              headers=[("Host", "example.test:8080"), ("User-Agent", "probe/1")], server_port=8080,
              remote_addr="10.9.8.7")
    assert out.trace[0]["conditions"][0]["input"] == expected


@pytest.mark.parametrize("var,expected", [
    ("CONTENT_LENGTH", "11"), ("CONTENT_TYPE", "text/plain"), ("LOCAL_ADDR", "127.0.0.1"), ("SCRIPT_NAME", "/p q"),
    ("SERVER_SOFTWARE", "Microsoft-IIS/10.0"), ("GATEWAY_INTERFACE", "CGI/1.1"), ("INSTANCE_ID", "1"),
    ("APPL_MD_PATH", "/LM/W3SVC/1/ROOT"), ("AUTH_TYPE", ""), ("LOGON_USER", ""), ("REMOTE_USER", ""),
])
def test_B72_more_of_the_documented_server_variables(run, var, expected):
    conds = f'<conditions><add input="{{{var}}}" pattern=".*" /></conditions>'
    out = run(rule('url=".*"', conditions=conds), "/p%20q", method="POST",
              headers=[("Host", "h"), ("Content-Length", "11"), ("Content-Type", "text/plain")])
    assert out.trace[0]["conditions"][0]["input"] == expected


def test_B17_https_variable_is_on_for_tls(run):
    conds = '<conditions><add input="{HTTPS}" pattern="^on$" /></conditions>'
    assert run(rule('url=".*"', conditions=conds), "/", scheme="https").kind == "proxy"


@pytest.mark.parametrize("expr,expected", [
    ("{ToLower:{R:1}}", "abc"), ("{UrlEncode:{R:1} é}", "ABC+%C3%A9"), ("{UrlDecode:a%20b+c}", "a b c"),
    ("{HtmlEncode:<a href=\"x\">'}", "&lt;a href=&quot;x&quot;&gt;&#39;"),
])
def test_B18_string_functions(run, expr, expected):
    sets = f'<set name="X_CUSTOM" value="{expr.replace(chr(34), "&quot;").replace("<", "&lt;")}" />'
    out = run(rule('url="^(.*)$"', sets=sets), "/ABC")
    assert out.variables["X_CUSTOM"] == expected


def test_B19_rewrite_map_lookup_ignores_case_and_falls_back_to_default(run):
    maps = '<rewriteMap name="Legacy" defaultValue="fallback"><add key="/Old" value="new" /></rewriteMap>'
    sets = '<set name="X_CUSTOM" value="{Legacy:{URL}}" />'
    assert run(rule('url=".*"', sets=sets), "/old", config_kw={"maps": maps}).variables["X_CUSTOM"] == "new"
    assert run(rule('url=".*"', sets=sets), "/else", config_kw={"maps": maps}).variables["X_CUSTOM"] == "fallback"


def test_B20_server_variable_sets_request_header_with_iis_name_conversion(run):
    out = run(rule('url=".*"', sets='<set name="HTTP_X_ORIGINAL_HOST" value="{HTTP_HOST}" />'), "/")
    assert out.header_changes == {"x-original-host": "example.test"}
    assert header_name("HTTP_X_FORWARDED_PROTO") == "x-forwarded-proto"


def test_B21_replace_false_keeps_an_existing_value(run):
    sets = '<set name="HTTP_X_ORIGINAL_HOST" value="new" replace="false" />'
    out = run(rule('url=".*"', sets=sets), "/", headers=[("X-Original-Host", "kept")])
    assert "x-original-host" not in out.header_changes
    assert run(rule('url=".*"', sets=sets), "/").header_changes == {"x-original-host": "new"}


def test_B21_empty_value_removes_the_header(run):
    out = run(rule('url=".*"', sets='<set name="HTTP_X_ORIGINAL_HOST" value="" />'), "/",
              headers=[("X-Original-Host", "spoof")])
    assert out.header_changes == {"x-original-host": None}


def test_B22_variable_not_in_allowed_list_is_500_50(run):
    out = run(rule('url=".*"', sets='<set name="HTTP_X_NOT_ALLOWED" value="1" />'), "/")
    assert (out.status, out.substatus) == (500, 50)
    assert "HTTP_X_NOT_ALLOWED" in out.description


def test_B22_allowed_list_only_applies_when_the_rule_matches(run):
    out = run(rule('url="^never$"', sets='<set name="HTTP_X_NOT_ALLOWED" value="1" />'), "/")
    assert out.kind == "site"


@pytest.mark.parametrize("redirect_type,status", [("Permanent", 301), ("Found", 302), ("SeeOther", 303),
                                                  ("Temporary", 307)])
def test_B23_redirect_types(run, redirect_type, status):
    out = run(rule('url="^old$"', f'<action type="Redirect" url="/new" redirectType="{redirect_type}" />'), "/old")
    assert (out.kind, out.status, out.url) == ("redirect", status, "/new")


def test_B71_a_relative_redirect_url_is_taken_from_the_site_root(run):
    """Microsoft's own example ("Creating Rewrite Rules for the URL Rewrite Module", redirect rule):
    /article.aspx?id=323&title=some-other-title goes to http://localhost/article/323/some-other-title,
    whatever folder the request was in."""
    rules = rule('url="^article\\.aspx$"', '<action type="Redirect" url="article/{C:1}/{C:2}" appendQueryString="false" />',
                 conditions='<conditions><add input="{QUERY_STRING}" pattern="^id=([0-9]+)&amp;title=([_0-9a-z-]+)$" /></conditions>')
    out = run(rules, "/article.aspx?id=323&title=some-other-title")
    assert (out.kind, out.url) == ("redirect", "/article/323/some-other-title")
    # From a folder too: the site root, never the folder the request was in.
    in_folder = rule('url="article\\.aspx$"', '<action type="Redirect" url="article/{C:1}/{C:2}" appendQueryString="false" />',
                     conditions='<conditions><add input="{QUERY_STRING}" pattern="^id=([0-9]+)&amp;title=([_0-9a-z-]+)$" /></conditions>')
    out = run(in_folder, "/blog/2024/article.aspx?id=323&title=some-other-title")
    assert (out.kind, out.url) == ("redirect", "/article/323/some-other-title")


def test_B23_redirect_default_is_301_and_appends_query(run):
    out = run(rule('url="^old$"', '<action type="Redirect" url="/new?a=1" />'), "/old?b=2")
    assert (out.status, out.url) == (301, "/new?a=1&b=2")
    out = run(rule('url="^old$"', '<action type="Redirect" url="/new" appendQueryString="false" />'), "/old?b=2")
    assert out.url == "/new"


def test_B24_custom_response(run):
    out = run(rule('url=".*"', '<action type="CustomResponse" statusCode="403" subStatusCode="4" '
                               'statusReason="Forbidden" statusDescription="No {URL}" />'), "/secret")
    assert (out.kind, out.status, out.substatus, out.description) == ("custom", 403, 4, "No /secret")


def test_B25_abort_request(run):
    assert run(rule('url=".*"', '<action type="AbortRequest" />'), "/").kind == "abort"


def test_B26_none_action_with_stop_processing_skips_remaining_rules(run):
    rules = rule('url="^static/"', '<action type="None" />', name="1", attrs='stopProcessing="true"') + rule(
        'url=".*"', name="2")
    assert run(rules, "/static/a.css").kind == "site"
    assert run(rules, "/page").kind == "proxy"


def test_B27_absolute_rewrite_proxies_only_when_proxy_enabled(run):
    assert run(rule('url=".*"'), "/x").kind == "proxy"
    out = run(rule('url=".*"'), "/x", config_kw={"proxy": 'enabled="false"'})
    assert (out.kind, out.status) == ("error", 404)


def test_B28_rewrite_appends_query_string_by_default(run):
    assert run(rule('url=".*"'), "/x?a=1").url == "http://backend:8000/x?a=1"
    no_qs = '<action type="Rewrite" url="http://b/{R:0}" appendQueryString="false" />'
    assert run(rule('url=".*"', no_qs), "/x?a=1").url == "http://b/x"


def test_B29_decoded_backrefs_are_re_encoded_by_default(run):
    assert run(rule('url=".*"'), "/a%20b/%C3%A9").url == "http://backend:8000/a%20b/%C3%A9"


def test_B29_use_original_url_encoding_false_sends_unencoded_url_as_is(run):
    action = '<action type="Rewrite" url="http://b{UNENCODED_URL}" appendQueryString="false" />'
    out = run(rule('url=".*"', action), "/a%20b?q=%2F", config_kw={"rules_attrs": 'useOriginalURLEncoding="false"'})
    assert out.url == "http://b/a%20b?q=%2F"
    # With the default (true) the raw URL is encoded again: the double encoding users report on 2.1.
    assert run(rule('url=".*"', action), "/a%20b").url == "http://b/a%2520b"
