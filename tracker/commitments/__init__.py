"""Anchor commitments, co-investments, training programmes and milestones."""


def __getattr__(name: str):
    # Handed on lazily: importing the models must not import the views (see tracker.auth).
    if name == "bp":
        from tracker.commitments.views import bp

        return bp
    raise AttributeError(name)
