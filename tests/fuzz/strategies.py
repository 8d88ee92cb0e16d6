"""What the fuzz test sends: hostile values as raw bytes, ready to be percent-encoded, and
the plans that say which request an example makes.

Every value is `bytes`, so a request can carry what no browser form would: a NUL, a lone
surrogate (`\\xed\\xa0\\x80`), invalid UTF-8 (`\\xff`).

Hypothesis insists that what an example draws depends only on what it drew before, never on
the outside world, and the pages change as the fuzzing writes. So an example draws a whole
plan first, of a fixed shape: indexes (taken modulo the choices the pages offer when the plan
runs), hostile values of each family, and a seed for the plausible values around them.
"""

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from tests.fuzz.pages import Field, Form


def _utf8(*values: str) -> list[bytes]:
    return [value.encode() for value in values]


# Text a user (or a script) can type: control characters, line breaks, direction overrides,
# emoji, characters beyond ASCII, markup and formula starts.
HOSTILE_TEXT = [
    *_utf8(
        "\x00",
        "a\x00b",
        "\x01=1+2",
        "\x07bell",
        "\x1b[31mred",
        "\x7f",
        "line\r\nBcc: victim@example.com",
        "\r",
        "\n",
        "\t",
        "\u202egnp.exe",
        "\u200b",
        "\ufeff",
        "مرحبا بالعالم",
        "שלום",
        "🚀🔋",
        "👩‍👩‍👧‍👦",
        "Łódź Special Economic Zone",
        "Ústí nad Labem",
        "Министерство",
        "Győr",
        '=HYPERLINK("http://example.com")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "<script>alert(1)</script>",
        "'; DROP TABLE partners; --",
        "%00",
        "%",
        "{{ 7 * 7 }}",
        " ",
        "",
        "x" * 201,
        "🚀" * 300,
        "A" * 10_000,
    ),
    b"\xed\xa0\x80",  # a lone surrogate, as a browser would never send it
    b"\xff",  # invalid UTF-8
    b"caf\xe9",  # Latin-1, not UTF-8
]

# Numbers: non-finite, beyond any column, beyond a currency's minor units, and oddly written.
HOSTILE_NUMBERS = _utf8(
    "Infinity",
    "-Infinity",
    "inf",
    "NaN",
    "nan",
    "1e400",
    "-1e30",
    "1e30",
    "1e26",
    "2e17",
    "1e17",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 40,
    "0.000000001",
    "12.345",
    "1,5",
    "1_000",
    "0x10",
    "-0",
    "١٢٣",
    " 7 ",
)

# Dates: impossible, out of any sensible range, or not dates at all.
HOSTILE_DATES = _utf8(
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "1899-12-31",
    "2201-01-01",
    "+275760-09-13",
    "-0001-01-01",
    "31/12/2026",
    "2026-06-15T25:00",
    "0000-00-00",
)

# Ids in a path or a form: zero, negative, beyond 32 and 64 bits, absurdly long.
HOSTILE_IDS = _utf8(
    "0",
    "-1",
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    "9223372036854775808",
    str(10**30),
    "9" * 400,
)

# Where `next=` and `back=` may point: only local paths are fine.
HOSTILE_URLS = _utf8(
    "//evil.example",
    "http://evil.example/",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/partners\r\nSet-Cookie: x=1",
    "/\x00",
    "/" + "a" * 5_000,
)

# Plausible values, so that some writes are accepted and later pages read what they stored.
PLAUSIBLE_NUMBERS = _utf8("0", "1", "3", "12", "100", "4500000")
PLAUSIBLE_DATES = _utf8("2026-01-15", "2026-06-30", "2027-03-01", "2030-12-31")

_printable = st.text(string.ascii_letters + string.digits + " -", min_size=1, max_size=20)
# Any Unicode Hypothesis can think of, control characters included.
_any_text = st.text(max_size=50)


def _encoded(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return strategy.map(str.encode)


hostile_atoms = st.sampled_from(HOSTILE_TEXT)

# Free text: a hostile atom alone, wrapped in plausible words (so the value is still unique
# and non-empty enough to be accepted), or arbitrary Unicode.
hostile_text = st.one_of(
    hostile_atoms,
    st.tuples(_encoded(_printable), hostile_atoms, _encoded(_printable)).map(b"".join),
    _encoded(_any_text),
    _encoded(_printable),
)

# Mostly the named hostile numbers: a non-finite or oversized number must be met often.
hostile_number = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).encode()),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: str(n).encode()),
    hostile_text,
)

hostile_date = st.one_of(
    st.sampled_from(HOSTILE_DATES),
    st.sampled_from(PLAUSIBLE_DATES),
    st.dates().map(lambda d: d.isoformat().encode()),
    hostile_text,
)

hostile_id = st.sampled_from(HOSTILE_IDS)

# Any query-string or hidden value: every family above.
hostile_value = st.one_of(
    hostile_text,
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_DATES),
    hostile_id,
    st.sampled_from(HOSTILE_URLS),
)

# An e-mail address: a real-looking one, a broken one, or one carrying hostile text.
hostile_email = st.one_of(
    st.sampled_from(_utf8("fuzz@example.com", "FUZZ@EXAMPLE.COM", "no-at-sign", "a@b", "@")),
    st.tuples(_encoded(_printable), hostile_atoms).map(lambda t: t[0] + t[1] + b"@example.com"),
    hostile_text,
)

# An uploaded file: a CSV whose cells are hostile, or bytes that are no format at all.
hostile_upload = st.one_of(
    st.lists(hostile_text, min_size=1, max_size=6).map(
        lambda cells: b"name,kind,region\n" + b",".join(cells) + b"\n"
    ),
    st.binary(max_size=256),
)


@dataclass(frozen=True)
class Hostile:
    """One hostile value of each family; the field it lands in decides which is sent."""

    number: bytes
    date: bytes
    text: bytes
    other: bytes  # ids, URLs, e-mail addresses, anything

    def for_field(self, spec: Field) -> bytes:
        if is_date(spec):
            return self.date
        if is_numeric(spec):
            return self.number
        if spec.kind in ("text", "textarea", "search"):
            return self.text
        return self.other


hostiles = st.builds(
    Hostile,
    number=hostile_number,
    date=hostile_date,
    text=hostile_text,
    other=st.one_of(hostile_value, hostile_email, hostile_id, st.sampled_from(HOSTILE_URLS)),
)

_seed = st.integers(min_value=0, max_value=2**64)


@dataclass(frozen=True)
class PostPlan:
    seed: int  # picks the role, page, form, hostile fields and plausible values, uniformly
    mode: str  # "one" hostile field, "some" of them, or "all"
    hostile: list[Hostile]
    action_id: bytes | None  # a hostile id to put in the form's action instead of the real one
    upload: bytes


post_plans = st.builds(
    PostPlan,
    seed=_seed,
    mode=st.sampled_from(["one", "one", "some", "all"]),
    hostile=st.lists(hostiles, min_size=1, max_size=6),
    action_id=st.one_of(st.none(), st.none(), st.none(), hostile_id),
    upload=hostile_upload,
)


@dataclass(frozen=True)
class GetPlan:
    seed: int  # picks the role, rule, real ids and known parameter values, uniformly
    path: list[bytes]  # a hostile value for each path argument (no rule has more than two)
    query: list[bytes]  # a hostile value for each query parameter


get_plans = st.builds(
    GetPlan,
    seed=_seed,
    path=st.lists(st.one_of(hostile_id, hostile_text), min_size=2, max_size=2),
    query=st.lists(hostile_value, max_size=4),
)


# Fields whose name says they hold a number or a date, though the page renders them as text.
NUMERIC_WORDS = {
    "amount", "value", "budget", "target", "actual", "rate", "pct", "percent", "count",
    "participants", "hours", "volume", "quantity", "capex", "jobs", "threshold", "days",
    "version", "position", "year", "cohorts", "taken", "spend",
}  # fmt: skip
DATE_WORDS = {"on", "date", "deadline", "of", "at", "from", "to", "until"}


def is_numeric(spec: Field) -> bool:
    return spec.kind == "number" or bool(NUMERIC_WORDS & set(spec.name.split("_")))


def is_date(spec: Field) -> bool:
    words = spec.name.split("_")
    return spec.kind == "date" or (len(words) > 1 and words[-1] in DATE_WORDS)


PLAUSIBLE_PASSWORD = b"fuzz-password-2026-long"
FILENAMES = ("fuzz.csv", "fuzz.xlsx", "\x00.csv", "../../fuzz.csv")


def _plausible(spec: Field, rng: random.Random, position: int) -> bytes:
    """A value the form would likely accept: what the page filled in (a select's choice, most
    often), else one of its own options, else something ordinary of the field's type. Names
    are made unique; dates rise down the form, so a start comes before its end."""
    word = "".join(rng.choices(string.ascii_letters, k=7))
    if spec.kind in ("select", "radio") and spec.options:
        if spec.value and rng.random() < 0.8:
            return spec.value.encode()
        return rng.choice([option for option in spec.options if option] or spec.options).encode()
    if spec.value:
        return spec.value.encode()
    if is_date(spec):
        return (date(2026, 1, 1) + timedelta(days=40 * position)).isoformat().encode()
    if is_numeric(spec):
        return rng.choice(PLAUSIBLE_NUMBERS)
    if spec.kind == "email" or "email" in spec.name:
        return f"fuzz-{word}@example.com".encode()
    if spec.kind == "url" or "website" in spec.name or spec.name.endswith("url"):
        return f"https://example.com/{word}".encode()
    if spec.kind == "tel" or "phone" in spec.name:
        return b"+36 96 555 0100"
    if spec.kind == "password":
        return PLAUSIBLE_PASSWORD
    return f"Fz{word}".encode()  # short: some codes hold ten characters


def fill(form: Form, plan: PostPlan, rng: random.Random) -> tuple[list[tuple[str, bytes]], dict]:
    """Fill `form` as `plan` says: its fields as (name, value) pairs, and its file fields as
    name → (content, filename). The CSRF token is always kept, so the request reaches the view.

    Most forms are filled plausibly around one or a few hostile fields, so that many are
    accepted and the hostile value is stored; some are hostile throughout.
    """
    names = [name for name in form.fields if name != "csrf_token"]
    if plan.mode == "one":
        # One field a user can type in; hidden fields are tampered with in the other modes.
        names = [name for name in names if form.fields[name].kind != "hidden"] or names
    specs = [form.fields[name] for name in names]
    hostile: dict[str, Hostile] = {}
    if names:
        chosen = plan.hostile[:1] if plan.mode == "one" else plan.hostile
        if plan.mode == "all":
            hostile = {name: chosen[position % len(chosen)] for position, name in enumerate(names)}
        else:
            # Numbers and dates are where stored values broke shared pages: aim there more.
            weights = [3 if is_numeric(spec) or is_date(spec) else 1 for spec in specs]
            hostile = {rng.choices(names, weights)[0]: value for value in chosen}
    pairs: list[tuple[str, bytes]] = []
    files: dict[str, tuple[bytes, str]] = {}
    for position, (name, spec) in enumerate(form.fields.items()):
        if spec.kind == "file":
            files[name] = (plan.upload, rng.choice(FILENAMES))
        elif name == "csrf_token" or (spec.kind == "hidden" and name not in hostile):
            pairs.append((name, spec.value.encode()))  # CSRF token, version, form token
        elif name in hostile:
            if rng.randrange(20) == 0:
                continue  # a field the browser would always send, missing
            pairs.append((name, hostile[name].for_field(spec)))
        elif spec.kind == "checkbox" or (spec.kind == "select" and spec.multiple):
            # Tick any of the boxes (or options), or none.
            ticked = [option for option in spec.options if rng.random() < 0.5]
            pairs.extend((name, option.encode()) for option in ticked)
        else:
            pairs.append((name, _plausible(spec, rng, position)))
    if form.buttons:
        button, value = rng.choice(form.buttons)
        other = plan.hostile[0].other
        pairs.append((button, other if plan.mode == "all" else value.encode()))
    return pairs, files
