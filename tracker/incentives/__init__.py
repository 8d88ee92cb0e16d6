"""Incentives, their obligations, compliance reports and agency promises."""


def __getattr__(name: str):
    # Handed on lazily: importing the models must not import the views (see tracker.auth).
    if name == "bp":
        from tracker.incentives.views import bp

        return bp
    raise AttributeError(name)
