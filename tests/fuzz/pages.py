"""Where the fuzz test sends things: every rule of the app's URL map, filled with real or
hostile ids, and every form and link a page renders, read with the standard library's parser.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from tracker.auth.models import ApiToken, User
from tracker.clusters.models import Capability, PartnerCapability, SupplyLink
from tracker.commitments.models import Commitment, Contribution, Milestone
from tracker.core.models import AuditEvent, FxRate
from tracker.extensions import db
from tracker.incentives.models import (
    AgencyPromise,
    ComplianceReport,
    Disbursement,
    Incentive,
    InterestRate,
    Obligation,
)
from tracker.main.navigation import AREAS
from tracker.monitoring.models import WebhookDelivery, WebhookSubscription
from tracker.partners.models import Contact, Engagement, FollowUp, Partner, Region, Sector

# The record each id in a rule names; test_every_id_in_the_url_map_has_a_table holds it whole.
ID_MODELS = {
    "commitment_id": Commitment,
    "contact_id": Contact,
    "contribution_id": Contribution,
    "disbursement_id": Disbursement,
    "engagement_id": Engagement,
    "event_id": AuditEvent,
    "follow_up_id": FollowUp,
    "incentive_id": Incentive,
    "interest_rate_id": InterestRate,
    "milestone_id": Milestone,
    "obligation_id": Obligation,
    "partner_id": Partner,
    "promise_id": AgencyPromise,
    "rate_id": FxRate,
    "region_id": Region,
    "report_id": ComplianceReport,
    "user_id": User,
    "subscription_id": WebhookSubscription,
    "delivery_id": WebhookDelivery,
    "token_id": ApiToken,
    "capability_id": Capability,
    "sector_id": Sector,
    "provided_id": PartnerCapability,
    "link_id": SupplyLink,
}
# The JSON API answers tokens, not the session cookie these crawls sign in with; it is
# fuzzed from its own OpenAPI document (tests/api/test_schemathesis.py).
API_PREFIX = "/api/v1/"
# Readiness answers 503 by design until a scheduler has scanned (tests/test_production.py).
NOT_CRAWLED = {"main.readyz"}

# Query parameters any page might read, besides those its own forms and links name.
COMMON_PARAMETERS = ("page", "sort", "dir", "q", "format", "next", "back", "token")

# Pages every user reads: each list under the navigation, the dashboard, what is due, the
# home page and the monthly report. After each accepted write, every one must still answer.
SHARED_ENDPOINTS = (
    "main.home",
    "monthly.report",
    *(area.endpoint for area in AREAS),
    "partners.follow_ups",
    "commitments.milestones",
    "incentives.deadlines",
    "incentives.de_minimis",
)

_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def get_rules(app: Flask) -> list[Rule]:
    """Every page rule that answers GET, in a stable order (not the API's)."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
            and not rule.rule.startswith(API_PREFIX)
            and rule.endpoint not in NOT_CRAWLED
        ),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def shared_urls(app: Flask) -> list[str]:
    return [rule.rule for rule in get_rules(app) if rule.endpoint in SHARED_ENDPOINTS]


def url_for_rule(rule: Rule, values: dict[str, bytes]) -> str:
    """The rule's path with each argument replaced by its value, percent-encoded as sent."""
    return _ARGUMENT.sub(lambda m: quote(values[m.group(1)], safe=""), rule.rule)


def existing_ids(name: str) -> list[int]:
    """The ids of the records an argument such as `partner_id` names, as they are now."""
    model = ID_MODELS[name]
    return list(db.session.scalars(select(model.id).order_by(model.id)))


def match(app: Flask, path: str, method: str = "GET") -> tuple[str | None, dict]:
    """The endpoint a local path reaches, and its arguments; (None, {}) for none."""
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path, method=method)
    except Exception:  # noqa: BLE001 (no route, a redirect, a wrong method: not a page)
        return None, {}


def rule_of(app: Flask, path: str) -> Rule | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path, method="GET", return_rule=True)[0]
    except Exception:  # noqa: BLE001 (no route, a redirect, a wrong method: not a page)
        return None


@dataclass(frozen=True)
class Source:
    """A page that shows a form to post: a rule (its ids filled in when it is used), and the
    query string some links give it."""

    rule: Rule
    query: str = ""


@dataclass
class Field:
    name: str
    kind: str  # the input type, or "select" / "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    method: str
    action: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    def describe(self) -> str:
        return f"{self.method.upper()} {self.action}"


@dataclass
class Page:
    """What a rendered page offers: its forms and the local links it holds."""

    forms: list[Form]
    links: list[str]

    def post_forms(self) -> list[Form]:
        return [form for form in self.forms if form.method == "post"]

    def get_forms(self) -> list[Form]:
        return [form for form in self.forms if form.method == "get"]


class _PageParser(HTMLParser):
    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and _is_local(attributes.get("href", "")):
            self.links.append(attributes["href"])
        elif tag == "form":
            action = attributes.get("action") or self.url
            self._form = Form(
                method=attributes.get("method", "get").lower(),
                action=action,
                enctype=attributes.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value", ""))
            if "selected" in attributes and not self._select.multiple:
                self._select.value = attributes.get("value", "")
        elif self._form is None or not attributes.get("name"):
            return
        elif tag == "input":
            self._input(attributes)
        elif tag == "button" and attributes.get("type", "submit") == "submit":
            self._form.buttons.append((attributes["name"], attributes.get("value", "")))
        elif tag == "select":
            self._select = Field(attributes["name"], "select", multiple="multiple" in attributes)
            self._form.fields[self._select.name] = self._select
        elif tag == "textarea":
            self._textarea = Field(attributes["name"], "textarea")
            self._form.fields[self._textarea.name] = self._textarea

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _input(self, attributes):
        name, kind = attributes["name"], attributes.get("type", "text").lower()
        if kind in ("submit", "image"):
            self._form.buttons.append((name, attributes.get("value", "")))
        elif kind in ("radio", "checkbox") and name in self._form.fields:
            self._form.fields[name].options.append(attributes.get("value", "on"))
        elif kind in ("radio", "checkbox"):
            self._form.fields[name] = Field(name, kind, options=[attributes.get("value", "on")])
        else:
            self._form.fields[name] = Field(name, kind, value=attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            # A browser drops the newline that follows <textarea>.
            if not self._textarea.value:
                data = data.removeprefix("\r\n").removeprefix("\n")
            self._textarea.value += data


def _is_local(href: str) -> bool:
    return href.startswith("/") and not href.startswith("//")


def parse_page(url: str, html: str) -> Page:
    parser = _PageParser(url)
    parser.feed(html)
    parser.close()
    return Page(parser.forms, parser.links)


@dataclass
class Vocabulary:
    """The query parameters each page reads, and the values the app itself puts in them,
    learnt from the links and search forms of the pages every role sees."""

    names: dict[str, set[str]] = field(default_factory=dict)  # endpoint → parameter names
    values: dict[str, set[str]] = field(default_factory=dict)  # parameter name → values
    # (endpoint, path argument) → the values links give it, for arguments that are not ids
    arguments: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # role → the pages that show that role a form to post
    form_sources: dict[str, list[Source]] = field(default_factory=dict)

    def learn(self, app: Flask, endpoint: str, page: Page) -> None:
        for link in page.links:
            parts = urlsplit(link)
            target, arguments = match(app, parts.path)
            for name, value in arguments.items():
                self.arguments.setdefault((target, name), set()).add(str(value))
            for name, value in parse_qsl(parts.query, keep_blank_values=True):
                if target:
                    self.names.setdefault(target, set()).add(name)
                self.values.setdefault(name, set()).add(value)
        for form in page.get_forms():
            target = match(app, urlsplit(form.action).path)[0] or endpoint
            for spec in form.fields.values():
                self.names.setdefault(target, set()).add(spec.name)
                self.values.setdefault(spec.name, set()).update(spec.options or [spec.value])

    def parameters(self, endpoint: str) -> list[str]:
        return sorted(self.names.get(endpoint, set()) | set(COMMON_PARAMETERS))

    def known_values(self, name: str) -> list[str]:
        return sorted(self.values.get(name, ()))

    def known_arguments(self, endpoint: str, name: str) -> list[str]:
        return sorted(self.arguments.get((endpoint, name), ()))
