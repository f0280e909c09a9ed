"""Run once at image build (Dockerfile.app): on Windows, lets a stopping container's app drain for as
long as `docker stop` allows, instead of the about 5 s Windows gives it by default.

    python -m app.server.stop_timeouts

After CTRL_SHUTDOWN_EVENT, the container's exec service waits ProcessShutdownTimeoutSeconds for the
processes it signalled (5 s by default; Microsoft in moby/moby#25982 and kubernetes/kubernetes#73434),
and servercore waits WaitToKillServiceTimeout (5 s) before it ends a signalled process (Microsoft's
own override of it: hcsshim internal/hcsoci/hcsdoc_wcow.go). Both are ceilings after the event, not
delays before it: a process that has drained ends at once. The compose and stack files'
stop_grace_period stays what decides (docs/windows.md W18). Elsewhere there is nothing to set.
"""
from __future__ import annotations

import os
import sys

CEILING_SECONDS = 300

# (key under HKEY_LOCAL_MACHINE, value name, registry type name, value)
VALUES = [
    (r"SYSTEM\CurrentControlSet\Services\cexecsvc", "ProcessShutdownTimeoutSeconds", "REG_DWORD",
     CEILING_SECONDS),
    (r"SYSTEM\CurrentControlSet\Control", "WaitToKillServiceTimeout", "REG_SZ", str(CEILING_SECONDS * 1000)),
]


def main() -> int:
    if os.name != "nt":
        print("stop_timeouts: nothing to set outside Windows")
        return 0
    import winreg

    for key, name, kind, value in VALUES:
        with winreg.CreateKeyEx(winreg.HKEY_LOCAL_MACHINE, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, getattr(winreg, kind), value)
        print(f"stop_timeouts: HKLM\\{key}\\{name} = {value} ({kind})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
