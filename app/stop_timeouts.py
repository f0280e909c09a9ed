"""Run once at image build (Dockerfile.app): on Windows, lets a stopping container's app drain for as
long as `docker stop` allows, instead of the about 5 s Windows gives it by default.

    python -m app.stop_timeouts

Without these values Windows ends the app about 5 s after CTRL_SHUTDOWN_EVENT, whatever
stop_grace_period says (moby/moby#25982, with the values from the workaround posted there;
kubernetes/kubernetes#73434). They are a ceiling only: the compose and stack files'
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
