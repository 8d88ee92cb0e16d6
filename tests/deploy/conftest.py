"""The loopback SMTP server and webhook receiver of tests/monitoring, for the deployment."""

from tests.monitoring.conftest import receiver  # noqa: F401 (a fixture, used by name)
