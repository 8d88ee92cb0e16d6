"""Forms of the import page: choose a kind and a file; confirm a preview."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired


class UploadForm(FlaskForm):
    kind = SelectField("What the file holds", validators=[DataRequired()])
    file = FileField(
        "File",
        validators=[FileRequired("Choose a .csv or .xlsx file.")],
        description="CSV (UTF-8) or Excel workbook (.xlsx), the column names in the first row.",
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.name, kind.noun.capitalize()) for kind in kinds]


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
