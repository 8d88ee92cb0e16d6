"""Nothing a user sends breaks the app: every route, role and form, fuzzed with Hypothesis.

On the demo portfolio (tests/fuzz/conftest.py), as an anonymous visitor and as each role:

* the crawl GETs every rule of the URL map as the admin with real ids and learns, from the
  links and forms of each page, the query parameters it reads and the forms it offers;
* `test_no_form_post_answers_5xx` posts the forms the pages render, filled with generated
  values (control characters, CR/LF, huge, infinite and NaN numbers, impossible dates,
  hostile ids, very long, right-to-left and emoji text, invalid UTF-8). After each accepted
  write (a redirect elsewhere than the form), the page it leads to must answer, and every
  list page, the dashboard and the monthly report must answer 200;
* `test_no_page_answers_5xx` GETs every rule with real and hostile ids in the path and
  generated query strings over the parameters the page uses.

No request may answer 500 or above. Each test collects every distinct failure (method,
endpoint, status and the line that raised) and fails once at the end, listing each with the
request that caused it, so one red run shows every finding.

Bounded for CI (under about three minutes per database on two cores): Hypothesis runs
derandomized, without shrinking, so a red run is reproducible. By hand:

    FUZZ_EXAMPLES  posts per run (default 200); the GET test draws three times as many
    FUZZ_SECONDS   time budget of both tests, in seconds (default 120, 60% for the posts);
                   examples past it are skipped, and the run says how many ran
    FUZZ_SEED      an integer for another random walk (default: derandomized)

    FUZZ_EXAMPLES=2000 FUZZ_SECONDS=1800 .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/fuzz
"""

import os
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from werkzeug.datastructures import MultiDict

from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import ROLE_USERS, ROLES
from tests.fuzz.pages import (
    API_PREFIX,
    ID_MODELS,
    Form,
    Source,
    Vocabulary,
    existing_ids,
    get_rules,
    match,
    parse_page,
    rule_of,
    shared_urls,
    url_for_rule,
)
from tracker.auth.permissions import ROLE_PERMISSIONS
from tracker.core import derived
from tracker.extensions import db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "120"))
# The POST test's share of the time budget; the GET test has the rest.
POST_SHARE = 0.6
SEED = os.environ.get("FUZZ_SEED")

ROOT = Path(__file__).resolve().parents[2]

# Findings still being fixed, skipped so they do not hide the others: (method, endpoint,
# a word of the failure). Remove an entry once its fix lands. Keep this list short.
KNOWN_FAILURES: tuple[tuple[str, str, str], ...] = ()

# Forms the fuzzing leaves alone, so each role's client stays signed in with its role:
# signing out, and editing the role clients' own users (the demo's other users are fair game).
SIGNING_OUT = {"auth.logout"}
OWN_USER = "auth.edit_user"

# How often each role posts: the anonymous visitor has only the sign-in form.
ROLE_WEIGHTS = {"admin": 3, "manager": 3, "owner": 2, "viewer": 1, "anonymous": 1}


def fuzz_settings(examples: int):
    """Derandomized (or FUZZ_SEED), no example database, and no shrinking: an example changes
    the data, so replaying a smaller one would not meet the same world."""

    def apply(test):
        configured = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=SEED is None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(test)
        return seed(int(SEED))(configured) if SEED is not None else configured

    return apply


@dataclass
class Finding:
    role: str
    method: str
    url: str
    status: int | str
    where: str
    query: bytes = b""
    form: list[tuple[str, bytes]] | None = None
    after: str | None = None  # the accepted write that came before a failing page

    def __str__(self) -> str:
        url = f"{self.url}?{self.query.decode()}" if self.query else self.url
        lines = [f"{self.method} {_short(url, 300)} as {self.role} → {self.status}: {self.where}"]
        if self.form:
            fields = ", ".join(f"{name}={_short(value)}" for name, value in self.form)
            lines.append(f"    form: {fields}")
        if self.after:
            lines.append(f"    after the accepted write {self.after}")
        return "\n".join(lines)


def _short(value: bytes | str, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(value)} long)"


def _reached_the_app(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any(frame.filename.endswith(("flask/app.py", "flask/ctx.py")) for frame in frames)


def _where(error: BaseException) -> tuple[str, str]:
    """Where a request raised, as (place, place with the message): the innermost frame of
    our own code or templates."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [
        frame
        for frame in frames
        if frame.filename.startswith(str(ROOT / "tracker")) or "templates/" in frame.filename
    ]
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    place = f"{type(error).__name__} at {name}:{frame.lineno}"
    return place, f"{place}: {str(error)[:300]}"


class Fuzzer:
    """Sends requests as a role and keeps every distinct failure."""

    def __init__(self, app, portfolio):
        self.app = app
        self.portfolio = portfolio
        self.findings: dict[tuple, Finding] = {}
        self.requests = 0
        self.accepted_writes = 0
        self.examples = 0
        self.outcomes: Counter[tuple[str, int]] = Counter()  # (POST endpoint, status)
        self.shared = shared_urls(app)

    def send(self, role, method, url, *, endpoint, query=b"", form=None, files=None):
        """The response, or None when the request raised or answered 5xx (then recorded)."""
        self.requests += 1
        client = self.portfolio.clients[role]
        kwargs = {"query_string": query.decode("ascii")}
        if files:
            data = MultiDict([(name, value.decode(errors="replace")) for name, value in form])
            for name, (content, filename) in files.items():
                data.add(name, (BytesIO(content), filename))
            kwargs.update(data=data, content_type="multipart/form-data")
        elif form is not None:
            kwargs.update(data=urlencode(form), content_type="application/x-www-form-urlencoded")
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as error:  # noqa: BLE001 (a 500 in production: what we look for)
            if not _reached_the_app(error):
                raise  # the test's own mistake, not a finding
            place, where = _where(error)
            finding = Finding(role, method, url, 500, where, query, form)
            self._record((method, endpoint, place), finding)
            return None
        if method == "POST":
            self.outcomes[endpoint, response.status_code] += 1
        if response.status_code >= 500:
            finding = Finding(role, method, url, response.status_code, "an error page", query, form)
            self._record((method, endpoint, response.status_code), finding)
            return None
        return response

    def _record(self, key, finding: Finding) -> None:
        if any(
            method == finding.method and endpoint == key[1] and word in finding.where
            for method, endpoint, word in KNOWN_FAILURES
        ):
            return
        self.findings.setdefault(key, finding)

    def check_after_write(self, role: str, response, write: str) -> None:
        """The page a write leads to answers, every shared page answers 200, and the stored
        dated items are what a fresh derivation from the records gives."""
        self.accepted_writes += 1
        target = urlsplit(response.headers["Location"])
        failed = len(self.findings)
        if not target.netloc:
            endpoint = match(self.app, unquote(target.path))[0]
            self.send(role, "GET", target.path, endpoint=endpoint, query=target.query.encode())
        for url in self.shared:
            endpoint = match(self.app, url)[0]
            page = self.send(role, "GET", url, endpoint=endpoint)
            if page is not None and not _answers(page):
                where = f"not 200 but {page.status_code} {page.location or ''}"
                finding = Finding(role, "GET", url, page.status_code, where)
                self._record(("GET", endpoint, page.status_code), finding)
        db.session.rollback()  # read what the app committed
        if differences := derived.differences():
            finding = Finding(role, "POST", write, 200, "stored items: " + "; ".join(differences))
            self._record(("items", write), finding)
        db.session.rollback()
        for finding in list(self.findings.values())[failed:]:
            finding.after = write
        if len(self.findings) > failed:
            # A stored value broke a shared page: start again from clean data, so the rest
            # of the run explores rather than meets the same failure after every write.
            self.portfolio.reseed()

    def start(self) -> None:
        self.findings.clear()
        self.requests = self.accepted_writes = self.examples = 0
        self.outcomes.clear()

    def report(self) -> str:
        return (
            f"{len(self.findings)} distinct failures in {self.requests} requests:\n\n"
            + "\n\n".join(str(finding) for finding in self.findings.values())
        )


def _answers(response) -> bool:
    """A page answers when it shows itself, or sends a signed-in user on to another page (the
    home page leads some roles to the dashboard)."""
    if response.status_code in (301, 302, 303):
        target = urlsplit(response.location)
        return not target.netloc and target.path != "/login"
    return response.status_code == 200


def _allowed(app, portfolio, form: Form) -> bool:
    endpoint, arguments = match(app, unquote(urlsplit(form.action).path), method="POST")
    if endpoint in SIGNING_OUT:
        return False
    return not (endpoint == OWN_USER and arguments.get("user_id") in portfolio.protected_ids())


def _real_url(rule, vocabulary: Vocabulary, rng: random.Random | None = None) -> str | None:
    """The rule's path filled with real ids (the first, or any with `rng`) and arguments the
    app's links use; None if a table is empty."""
    values = {}
    for name in rule.arguments:
        if name in ID_MODELS:
            real = [str(value) for value in existing_ids(name)]
        else:
            real = vocabulary.known_arguments(rule.endpoint, name)
        if not real:
            return None
        values[name] = (rng.choice(real) if rng else real[0]).encode()
    return url_for_rule(rule, values)


@pytest.fixture(scope="module")
def fuzzer(app, portfolio):
    return Fuzzer(app, portfolio)


@pytest.fixture(scope="module")
def vocabulary(app, portfolio, fuzzer):
    """Crawl every page as the admin with real ids: learn what the pages read and offer.

    Besides each rule, the links to a form page with a query string of their own (a new
    commitment of each kind) are crawled, once per set of parameter names. Another role is
    offered the form pages its permissions open; the POST test drops a page from a role's
    list the first time it shows that role no form.
    """
    learnt = Vocabulary()
    with_forms: list[Source] = []

    def crawl(source: Source) -> list[str]:
        url = _real_url(source.rule, learnt)
        if url is None:
            return []
        response = fuzzer.send(
            "admin", "GET", url, endpoint=source.rule.endpoint, query=source.query.encode()
        )
        if response is None or response.mimetype != "text/html":
            return []
        page = parse_page(url, response.get_data(as_text=True))
        learnt.learn(app, source.rule.endpoint, page)
        if any(_allowed(app, portfolio, form) for form in page.post_forms()):
            with_forms.append(source)
        return page.links

    links = []
    rules = [rule for rule in get_rules(app) if rule.endpoint != "static"]
    # Rules without path arguments first: their links name the other rules' arguments.
    for rule in sorted(rules, key=lambda rule: bool(rule.arguments)):
        links += crawl(Source(rule))
    shapes = set()
    for link in sorted(set(links)):
        parts = urlsplit(link)
        rule = rule_of(app, unquote(parts.path))
        names = frozenset(name for name, _ in parse_qsl(parts.query))
        if rule is None or not names or "POST" not in rule.methods:
            continue
        if (rule.rule, names) not in shapes:
            shapes.add((rule.rule, names))
            crawl(Source(rule, parts.query))
    for role in ROLE_USERS:
        granted = ROLE_PERMISSIONS[role]
        learnt.form_sources[role] = [
            source
            for source in with_forms
            if app.view_functions[source.rule.endpoint].required_permission in granted
        ]
    login_page = next(rule for rule in get_rules(app) if rule.endpoint == "auth.login")
    learnt.form_sources["anonymous"] = [Source(login_page)]
    # End the crawl's read: on PostgreSQL its open transaction would hold the tables, and a
    # reload of the demo data (TRUNCATE) in a test would wait for it for ever.
    db.session.rollback()
    return learnt


def test_every_id_in_the_url_map_has_a_table(app):
    """The fuzzing fills each id with real records: a new kind of id needs its table named."""
    names = {
        name
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(API_PREFIX)
        for name in rule.arguments
    }
    assert {name for name in names if name.endswith("_id")} <= set(ID_MODELS)


def test_every_page_answers_with_real_ids(vocabulary, fuzzer):
    assert all(vocabulary.form_sources.values()), "some role is offered no form to post"
    if fuzzer.findings:
        pytest.fail(fuzzer.report(), pytrace=False)


def test_no_form_post_answers_5xx(app, portfolio, vocabulary, fuzzer):
    sources = {role: list(found) for role, found in vocabulary.form_sources.items()}
    roles = sorted(sources)
    fuzzer.start()
    started = time.monotonic()
    budget = SECONDS * POST_SHARE

    @fuzz_settings(EXAMPLES)
    @given(plan=fuzz.post_plans)
    def post_a_form(plan):
        if time.monotonic() - started > budget:
            return
        fuzzer.examples += 1
        portfolio.ready()
        rng = random.Random(f"{plan.seed}/{fuzzer.examples}")
        role = rng.choices(roles, weights=[ROLE_WEIGHTS[role] for role in roles])[0]
        source = rng.choice(sources[role])
        url = _real_url(source.rule, vocabulary, rng)
        if url is None:
            return
        query = source.query.encode()
        page = fuzzer.send(role, "GET", url, endpoint=source.rule.endpoint, query=query)
        if page is None or page.status_code != 200:
            return
        forms = [
            form
            for form in parse_page(url, page.get_data(as_text=True)).post_forms()
            if _allowed(app, portfolio, form)
        ]
        if not forms:
            if len(sources[role]) > 1:
                sources[role].remove(source)  # this role sees no form there
            return
        form = rng.choice(forms)
        action = urlsplit(form.action)
        path = action.path
        if plan.action_id is not None:
            path = "/".join(
                plan.action_id.decode() if part.isdigit() else part for part in path.split("/")
            )
        values, files = fuzz.fill(form, plan, rng)
        response = fuzzer.send(
            role,
            "POST",
            path,
            endpoint=match(app, unquote(action.path), method="POST")[0],
            query=action.query.encode(),
            form=values,
            files=files,
        )
        if response is None or response.status_code not in (301, 302, 303):
            return
        target = urlsplit(response.headers["Location"]).path
        if role in ROLE_USERS and target not in (action.path, "/login"):
            fields = ", ".join(f"{name}={_short(value, 40)}" for name, value in values)
            fuzzer.check_after_write(role, response, f"POST {path} ({fields})")

    post_a_form()
    print(
        f"\n{fuzzer.examples} examples, {fuzzer.requests} requests, "
        f"{fuzzer.accepted_writes} accepted writes, "
        f"{portfolio.reseeded} reloads of the demo data, {time.monotonic() - started:.0f}s"
    )
    for (endpoint, status), count in sorted(fuzzer.outcomes.items(), key=str):
        print(f"  POST {endpoint} → {status}: {count}")
    if fuzzer.findings:
        pytest.fail(fuzzer.report(), pytrace=False)


def test_no_page_answers_5xx(app, portfolio, vocabulary, fuzzer):
    rules = get_rules(app)
    fuzzer.start()
    started = time.monotonic()
    budget = SECONDS * (1 - POST_SHARE)

    def path_values(rule, plan, rng) -> dict[str, bytes]:
        """Two times in three a real id (or argument), else the plan's hostile value."""
        values = {}
        for name, hostile in zip(sorted(rule.arguments), plan.path, strict=False):
            if name in ID_MODELS:
                real = [str(value) for value in existing_ids(name)]
            else:
                real = vocabulary.known_arguments(rule.endpoint, name)
            values[name] = rng.choice(real).encode() if real and rng.random() < 2 / 3 else hostile
        return values

    def query(endpoint, plan, rng) -> bytes:
        """Parameters the page reads: half of them with values the app itself uses."""
        names = vocabulary.parameters(endpoint)
        pairs = []
        for hostile in plan.query:
            name = rng.choice(names)
            known = vocabulary.known_values(name)
            value = rng.choice(known).encode() if known and rng.random() < 0.5 else hostile
            pairs.append((name, value))
        return urlencode(pairs).encode()

    @fuzz_settings(EXAMPLES * 3)
    @given(plan=fuzz.get_plans)
    def get_a_page(plan):
        if time.monotonic() - started > budget:
            return
        fuzzer.examples += 1
        portfolio.ready()
        rng = random.Random(f"{plan.seed}/{fuzzer.examples}")
        role = rng.choice(ROLES)
        rule = rng.choice(rules)
        url = url_for_rule(rule, path_values(rule, plan, rng))
        query_string = query(rule.endpoint, plan, rng)
        fuzzer.send(role, "GET", url, endpoint=rule.endpoint, query=query_string)

    get_a_page()
    print(
        f"\n{fuzzer.examples} examples, {fuzzer.requests} requests, "
        f"{time.monotonic() - started:.0f}s"
    )
    if fuzzer.findings:
        pytest.fail(fuzzer.report(), pytrace=False)
