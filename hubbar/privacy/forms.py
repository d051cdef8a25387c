"""The form an admin edits a privacy page with: one text box and one "use the default" choice per
section. The sections come from the page, so the form class is built for it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from hubbar.privacy.defaults import Section


class PageTextsForm(FlaskForm):
    """The fields are added per page by :func:`page_texts_form`. The texts are checked by the
    operation that saves them (pages.save_page), which names the section a refusal is about."""

    section_keys: dict[str, str] = {}  # form-field stem → section key

    def text_field(self, key: str):
        return self[f"text_{_stem(key)}"]

    def reset_field(self, key: str):
        return self[f"reset_{_stem(key)}"]

    def field_of(self, key: str) -> str:
        """The name of the text box of section ``key`` (for showing an error next to it)."""
        return f"text_{_stem(key)}"


def _stem(key: str) -> str:
    return key.replace(".", "_")


def page_texts_form(sections: tuple[Section, ...]) -> PageTextsForm:
    """A form for ``sections``. Each section is a group named by its heading (the template's
    legend), so its text box and its choice can have short labels."""

    class Form(PageTextsForm):
        section_keys = {_stem(s.key): s.key for s in sections}

    for section in sections:
        stem = _stem(section.key)
        setattr(Form, f"text_{stem}", TextAreaField(_l("Text")))
        setattr(
            Form,
            f"reset_{stem}",
            BooleanField(
                _l("Use the default text"),
                description=_l("Your text in the box above is then not saved."),
            ),
        )
    return Form()
