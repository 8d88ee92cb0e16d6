"""Scheduled scans, alerts and notifications."""


def __getattr__(name: str):
    # Handed on lazily: importing the models must not import the views (see tracker.auth).
    if name == "bp":
        from tracker.monitoring.views import bp

        return bp
    raise AttributeError(name)
