"""HTTP.sys and Request Filtering gates (docs/standin.md B30-B36)."""
import pytest

from standin import filtering
from standin.request import Request


@pytest.fixture
def config(make_config):
    return make_config()


def check(config, target, content_length=None):
    req = Request("GET", target, [("Host", "h")])
    rej = filtering.http_sys(req) or filtering.request_filtering(req, config, content_length)
    return (rej.status, rej.substatus) if rej else None


@pytest.mark.parametrize("target", ["/myApp/a+b", "/myApp/%252F", "/myApp/a%2541"])
def test_B30_plus_and_double_escapes_in_path_are_404_11(config, target):
    assert check(config, target) == (404, 11)


def test_B30_plus_in_query_is_fine_and_allow_double_escaping_lifts_it(config, make_config):
    assert check(config, "/myApp/x?q=a+b") is None
    relaxed = make_config(site_extra='<security><requestFiltering allowDoubleEscaping="true"/></security>')
    assert check(relaxed, "/myApp/a+b") is None


def test_B31_body_over_max_allowed_content_length_is_404_13(config):
    assert check(config, "/", content_length=30_000_001) == (404, 13)
    assert check(config, "/", content_length=30_000_000) is None


def test_B32_url_longer_than_max_url_is_404_14(config):
    long_url = "/" + ("a" * 200 + "/") * 21  # 4222 bytes in 21 segments: within HTTP.sys's limits
    assert check(config, long_url) == (404, 14)
    assert check(config, long_url[:4096]) is None


def test_B33_query_longer_than_max_query_string_is_404_15(config):
    assert check(config, "/?" + "q" * 2049) == (404, 15)
    assert check(config, "/?" + "q" * 2048) is None


@pytest.mark.parametrize("target", ["/" + "s" * 261, "/a%01b", "/a%7Fb", "/" + "a/" * 256])
def test_B34_http_sys_rejects_long_segments_control_chars_and_too_many_segments_with_400(config, target):
    assert check(config, target) == (400, 0)


def test_B34_a_260_char_segment_is_accepted(config):
    assert check(config, "/" + "s" * 260) is None


@pytest.mark.parametrize("target", ["/web.config", "/App_Data/x", "/BIN/a.dll"])
def test_B35_hidden_segments_are_404_8(config, target):
    assert check(config, target) == (404, 8)


def test_B36_high_bit_characters_only_when_disallowed(config, make_config):
    assert check(config, "/%C3%A9") is None
    strict = make_config(site_extra='<security><requestFiltering allowHighBitCharacters="false"/></security>')
    assert check(strict, "/%C3%A9") == (404, 12)


def test_limits_from_the_server_file_can_be_changed(make_config):
    small = make_config(server_extra='<security><requestFiltering><requestLimits maxQueryString="10"/>'
                                     '</requestFiltering></security>')
    assert check(small, "/?" + "q" * 11) == (404, 15)
