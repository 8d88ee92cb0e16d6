"""Regions, partners, contacts, engagements and follow-ups."""


def __getattr__(name: str):
    # The blueprint is handed on lazily, so importing this package's models does not
    # import its views (which import other domains' models) and no import cycle forms.
    if name == "bp":
        from tracker.partners.views import bp

        return bp
    raise AttributeError(name)
