"""The stand-in as a real process on loopback for the conformance tests: its test site
(web.config, server.config), a client for it, and what the test backend saw of a request."""
from __future__ import annotations

import http.client
import json
import ssl
import sys

import trustme

from tests.support import start_on_free_ports, write_pfx

SERVER = """<configuration><system.webServer>
  <proxy enabled="true" timeout="00:00:02" {proxy} />
  <rewrite><allowedServerVariables><add name="HTTP_X_FORWARDED_PROTO" /></allowedServerVariables></rewrite>
  <security><requestFiltering {filtering}><requestLimits maxAllowedContentLength="{max_body}" /></requestFiltering>
  {security}</security>
  <httpErrors existingResponse="{existing}" />
</system.webServer>{apphost}</configuration>"""

WEB = """<configuration><system.webServer><rewrite><rules>
  <rule name="abort" stopProcessing="true"><match url="^abort$" /><action type="AbortRequest" /></rule>
  <rule name="pretty" stopProcessing="true"><match url="^pretty$" /><action type="Rewrite" url="iisstart.htm" /></rule>
  <rule name="to backend" stopProcessing="true">
    <match url="^api/(.*)" />
    <serverVariables><set name="HTTP_X_FORWARDED_PROTO" value="{{Scheme:{{HTTPS}}}}" /></serverVariables>
    <action type="Rewrite" url="http://127.0.0.1:{port}/{{R:1}}" />
  </rule>
</rules><rewriteMaps><rewriteMap name="Scheme" defaultValue="http"><add key="on" value="https" /></rewriteMap>
</rewriteMaps></rewrite></system.webServer></configuration>"""


class StandIn:
    def __init__(self, proc, port, https_port, ca, log):
        self.proc, self.port, self.https_port, self.ca, self.log = proc, port, https_port, ca, log

    def request(self, method, target, headers=None, body=None, tls=False):
        if tls:
            ctx = ssl.create_default_context()
            self.ca.configure_trust(ctx)
            conn = http.client.HTTPSConnection("localhost", self.https_port, context=ctx, timeout=30)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = headers or {}
        chunked = headers.get("Transfer-Encoding") == "chunked"
        conn.request(method, target, body=body, headers=headers, encode_chunked=chunked)
        return conn, conn.getresponse()

    def get(self, target, **kw):
        conn, resp = self.request("GET", target, **kw)
        body = resp.read()
        conn.close()
        return resp, body

    def peak_rss_kb(self) -> int:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")


def run_standin(tmp_path, base_env, backend_port, *, proxy="", existing="PassThrough", max_body=30000000,
                filtering="", pfx_password=None, extra=(), apphost="", modules="", system_web="", security=""):
    """The stand-in with HTTP and HTTPS listeners: the certificate as PEM files, or as a PFX
    protected by pfx_password (the form IIS binds)."""
    site = tmp_path / "site"
    site.mkdir()
    web = WEB.format(port=backend_port)
    web = web.replace("</rewrite>", "</rewrite>" + modules, 1).replace("<configuration>", "<configuration>" + system_web, 1)
    (site / "web.config").write_text(web)
    (site / "iisstart.htm").write_text("start page")
    (tmp_path / "server.config").write_text(SERVER.format(proxy=proxy, existing=existing, max_body=max_body,
                                                          filtering=filtering, apphost=apphost, security=security))
    ca = trustme.CA()
    if pfx_password is None:
        cert = ca.issue_cert("localhost")
        cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
        tls = ["--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem")]
    else:
        write_pfx(ca, tmp_path / "tls.pfx", pfx_password, "localhost")
        (tmp_path / "password").write_text(pfx_password + "\n")
        tls = ["--pfx", str(tmp_path / "tls.pfx"), "--pfx-password-file", str(tmp_path / "password")]
    def on(port, https_port):
        return ([sys.executable, "-m", "standin", "serve", "--web-config", str(site / "web.config"),
                 "--settings", str(tmp_path / "server.config"), "--listen", f"127.0.0.1:{port}",
                 "--https-listen", f"127.0.0.1:{https_port}", *tls, *extra],
                base_env, f"http://127.0.0.1:{port}/iisstart.htm")

    proc, (port, https_port) = start_on_free_ports(on, tmp_path / "standin.log", count=2)
    return StandIn(proc, port, https_port, ca, tmp_path / "standin.log")


def seen(body) -> dict:
    data = json.loads(body)
    data["headers"] = {k.lower(): v for k, v in data["headers"]}
    return data


def start_backend(module: str, tmp_path_factory, base_env):
    """A test backend (python -m module PORT, answering /ready) on a free loopback port: (proc, port)."""
    proc, [port] = start_on_free_ports(
        lambda port: ([sys.executable, "-m", module, str(port)], base_env, f"http://127.0.0.1:{port}/ready"),
        tmp_path_factory.mktemp(module.rsplit(".", 1)[-1]) / "log")
    return proc, port
