# The smoke suite's certificate folder and live output, shared.
from tests.smoke.conftest import live, tls  # noqa: F401
