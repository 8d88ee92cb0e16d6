"""Status pages, dashboards, the list of everything due, exports, imports and reports."""


def __getattr__(name: str):
    # Handed on lazily: importing this package must not import the views (see tracker.auth).
    if name == "bp":
        from tracker.reports.views import bp

        return bp
    raise AttributeError(name)
