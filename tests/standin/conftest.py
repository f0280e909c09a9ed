import textwrap

import pytest

from standin.config import load
from standin.engine import evaluate
from standin.request import Request

SERVER = """<configuration><system.webServer>
  <proxy {proxy} />
  <rewrite><allowedServerVariables>{allowed}</allowedServerVariables></rewrite>
  {extra}
</system.webServer></configuration>"""


@pytest.fixture
def make_config(tmp_path):
    """Writes a web.config around the given <rules> body (and a server file) and loads both."""

    def make(rules="", *, maps="", proxy='enabled="true"', allowed=("HTTP_X_ORIGINAL_HOST", "X_CUSTOM"), server_extra="",
             site_extra="", rules_attrs=""):
        web = tmp_path / "web.config"
        web.write_text(textwrap.dedent(f"""\
            <configuration><system.webServer>
              <rewrite><rules {rules_attrs}>{rules}</rules><rewriteMaps>{maps}</rewriteMaps></rewrite>
              {site_extra}
            </system.webServer></configuration>"""))
        server = tmp_path / "server.config"
        server.write_text(SERVER.format(proxy=proxy, allowed="".join(f'<add name="{a}"/>' for a in allowed),
                                        extra=server_extra))
        return load(web, server)

    return make


@pytest.fixture
def run(make_config, tmp_path):
    """run(rules, path, **request kwargs) -> Outcome."""

    def go(rules, target="/", *, headers=(), config_kw=None, **kw):
        config = make_config(rules, **(config_kw or {}))
        hdrs = list(headers)
        if not any(k.lower() == "host" for k, _ in hdrs):
            hdrs.insert(0, ("Host", "example.test"))
        return evaluate(config, Request(kw.pop("method", "GET"), target, hdrs, site_root=tmp_path, **kw))

    return go


@pytest.fixture(scope="module")
def backend(tmp_path_factory, base_env):
    """A real aiohttp backend on loopback (tests/standin/backend.py): its port."""
    from tests.standin.process import start_backend
    from tests.support import stop

    proc, port = start_backend("tests.standin.backend", tmp_path_factory, base_env)
    yield port
    stop(proc)
