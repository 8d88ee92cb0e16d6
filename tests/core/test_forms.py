"""The shared form pieces: the select that lists every partner."""

import re

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import Select

from tracker.core.forms import ManyOptions, id_choices, optional_int

HOSTILE = ('<script>alert("x")</script> & Söhne', "Quote ' and \" in a name")


def _options(html: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of each option."""
    found = []
    for attributes, label in re.findall(r"<option ([^>]*)>([^<]*)</option>", html):
        value = re.search(r'value="([^"]*)"', attributes).group(1)
        found.append((value, " selected" in f" {attributes}", label))
    return found


class Filter(FlaskForm):
    class Meta:
        csrf = False

    one = SelectField("Partner", coerce=optional_int, widget=ManyOptions())
    several = SelectMultipleField("Partners", coerce=int, widget=ManyOptions(multiple=True))


def test_it_writes_what_the_wtforms_select_writes(app):
    rows = [(7, HOSTILE[0]), (8, HOSTILE[1]), (9, "Plain")]
    with app.test_request_context("/?one=8&several=7&several=9"):
        form = Filter(formdata=None, data={"one": 8, "several": [7, 9]})
        form.one.choices = id_choices(
            [type("R", (), {"id": i, "name": n}) for i, n in rows],
            blank="Any",
            label=lambda r: r.name,
        )
        form.several.choices = [(i, n) for i, n in rows]
        for field, widget in ((form.one, Select()), (form.several, Select(multiple=True))):
            assert str(field()) == str(widget(field))
        assert _options(str(form.one()))[:3] == [
            ("", False, "Any"),
            ("7", False, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Söhne"),
            ("8", True, "Quote &#39; and &#34; in a name"),
        ]
        assert "<script>" not in str(form.one())
        assert [selected for _, selected, _ in _options(str(form.several()))] == [True, False, True]


def test_import_columns_take_their_limits_from_the_record_they_write():
    """A text column of an import file is held to its model column's length and a number to
    its column's `min`/`max`: the same limit as the form (`core.forms.fits`), the operation
    (`core.values.plain`) and the API. A field declares its own only for what is not a
    column (a partner named by name, say) or a rule the column does not hold."""
    from sqlalchemy import inspect

    from tracker.core.imports import FREE_TEXT
    from tracker.core.values import longest
    from tracker.reports.imports import KINDS

    checked = 0
    for kind in KINDS.values():
        assert kind.model is not None, kind.name
        columns = inspect(kind.model).columns
        for spec in kind.fields:
            column = columns.get(spec.attr)
            if column is None:
                continue
            if spec.value_type in FREE_TEXT:
                assert spec.max_length == longest(column), (kind.name, spec.header)
                checked += 1
            if column.info.get("max") is not None:
                assert spec.maximum == column.info["max"], (kind.name, spec.header)
                checked += 1
    assert checked > 20
