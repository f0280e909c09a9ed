"""Reading Dockerfiles instruction by instruction, as the builder does (dockerfile-parse)."""
from __future__ import annotations

import io

from dockerfile_parse import DockerfileParser


def instructions(text: str) -> list[tuple[str, str]]:
    return [(i["instruction"], i["value"]) for i in DockerfileParser(fileobj=io.BytesIO(text.encode())).structure
            if i["instruction"] != "COMMENT"]
