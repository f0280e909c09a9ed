"""Container healthcheck: exit 0 when the app answers its health endpoint, else 1.

Python, not curl: slim and Windows images have no curl, and this runs the same on both.
"""
import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ['APP_PORT']}/{os.environ['APP_PREFIX']}/health"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
