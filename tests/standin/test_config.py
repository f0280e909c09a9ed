"""Load-time behaviour: anything not modelled is refused with file and line (docs/standin.md B40-B44)."""
import pytest

from standin.config import ConfigError, load
from tests.timespans import CASES


def write(tmp_path, body, name="web.config"):
    path = tmp_path / name
    path.write_text(f"<configuration>\n<system.webServer>\n{body}\n</system.webServer>\n</configuration>\n")
    return path


@pytest.mark.parametrize("body,message", [
    ('<rewrite><rules><rule name="a"><match url="x" bogus="1"/><action type="None"/></rule></rules></rewrite>',
     "attribute 'bogus'"),
    ('<rewrite><outboundRules/></rewrite>', "<outboundRules>"),
    ('<rewrite><globalRules/></rewrite>', "<globalRules>"),
    ('<handlers/>', "<handlers>"),
    ('<rewrite><rules><rule name="a"><match url="x"/><action type="Bounce"/></rule></rules></rewrite>',
     "must be one of None, Rewrite"),
])
def test_B40_unmodelled_element_attribute_or_value_is_refused_with_line(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert message in str(err.value)
    assert f"{path}:3:" in str(err.value)


def test_B40_unmodelled_attribute_accepted_only_at_its_default(tmp_path):
    server = write(tmp_path, '<proxy enabled="true" keepAlive="true" />', "server.config")
    load(write(tmp_path, ""), server)
    server = write(tmp_path, '<proxy enabled="true" keepAlive="false" />', "server.config")
    with pytest.raises(ConfigError, match="keepAlive.*not modelled"):
        load(write(tmp_path, ""), server)


@pytest.mark.parametrize("body,message", [
    ('<rewrite><rules><rule name="a"><match url="(?&lt;=x)y"/><action type="None"/></rule></rules></rewrite>',
     "lookbehind"),
    ('<rewrite><rules><rule name="a"><match url="(unclosed"/><action type="None"/></rule></rules></rewrite>',
     "invalid regular expression"),
    ('<rewrite><rules><rule name="a" patternSyntax="Wildcard"><match url="a?b"/><action type="None"/></rule></rules>'
     '</rewrite>', "'?' in a Wildcard"),
    ('<rewrite><rules><rule name="a"><match url="x"/><action type="Rewrite" url="http://b/{NO_SUCH_VAR}"/></rule>'
     '</rules></rewrite>', "server variable {NO_SUCH_VAR}"),
    ('<rewrite><rules><rule name="a"><match url="x"/><action type="Rewrite" url="{Nope:1}"/></rule></rules></rewrite>',
     "neither a function"),
    ('<rewrite><rules><rule name="a"><match url="x"/><action type="CustomResponse" statusCode="302"/></rule></rules>'
     '</rewrite>', "300-307"),
    ('<rewrite><rules><rule name="a"><match url="x"/></rule></rules></rewrite>', "has no <action>"),
    ('<rewrite><rules><rule name="a" stopProcessing="yes"><match url="x"/><action/></rule></rules></rewrite>',
     "true or false"),
])
def test_B41_invalid_patterns_references_and_values_are_refused(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, body))


def test_B42_server_only_sections_are_refused_in_web_config(tmp_path):
    with pytest.raises(ConfigError, match="only be set at server level"):
        load(write(tmp_path, '<proxy enabled="true" />'))
    with pytest.raises(ConfigError, match="only be set at server level"):
        load(write(tmp_path, '<rewrite><allowedServerVariables><add name="X"/></allowedServerVariables></rewrite>'))


def test_B43_environment_references_expand_and_unset_ones_fail(tmp_path):
    body = '<rewrite><rules><rule name="a"><match url="^%PREFIX%"/><action type="None"/></rule></rules></rewrite>'
    config = load(write(tmp_path, body), expand_env=True, environ={"PREFIX": "myApp"})
    assert config.rules[0].url == "^myApp"
    with pytest.raises(ConfigError, match="%PREFIX% is referenced but not set"):
        load(write(tmp_path, body), expand_env=True, environ={})


def test_B44_malformed_xml_names_file_and_line(tmp_path):
    path = tmp_path / "web.config"
    path.write_text("<configuration>\n<system.webServer>\n</configuration>")
    with pytest.raises(ConfigError, match=r"web.config:3: not well-formed"):
        load(path)


def test_project_configuration_loads(project_env):
    from tests.paths import SERVER_CONFIG, WEB_CONFIG

    config = load(WEB_CONFIG, SERVER_CONFIG, expand_env=True, environ=project_env)
    assert config.proxy["enabled"] is True
    assert {"HTTP_X_ORIGINAL_HOST", "HTTP_X_FORWARDED_PROTO"} <= config.allowed_server_variables


@pytest.mark.parametrize("text,seconds", CASES, ids=[c[0] or "empty" for c in CASES])
def test_time_span_attributes_follow_iis_format(tmp_path, text, seconds):
    """The same table as the app's PROXY_TIMEOUT (tests/timespans.py): one rule on both sides."""
    server = write(tmp_path, f'<proxy enabled="true" timeout="{text}" />', "server.config")
    if seconds is None:
        with pytest.raises(ConfigError, match="must be a time span"):
            load(write(tmp_path, ""), server)
    else:
        assert load(write(tmp_path, ""), server).proxy["timeout"] == seconds
