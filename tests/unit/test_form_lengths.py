"""Every form's text fields against the columns they are saved to (issue 15: text longer
than its column is a 500 on PostgreSQL, which enforces varchar lengths that SQLite ignores).

A form field is matched to the model columns of the same name in its feature (and the core
models for the core forms). A field whose limit is over every such column must be one whose
cleaner shortens what is stored (a phone's digits, a plate without spaces): CLEANED names
the cleaner and the longest value it may return, and the cleaner is tried with the longest
input the field lets through."""
import importlib
import inspect
import pkgutil

import peewee
import pytest
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import Length

import wyapp
from wyapp.errors import DomainError
from wyapp.forms import BaseForm

# (form module, field name) → (cleaner "module:function", longest text it may return, why)
CLEANED = {
    ("wyapp.admin.forms", "phone"): ("wyapp.inputs:clean_mobile", 11, "digits of a mobile"),
    ("wyapp.gate.forms", "phone"): ("wyapp.inputs:clean_mobile", 11, "digits of a mobile"),
    ("wyapp.gate.forms", "plate"): ("wyapp.gate.validators:clean_plate", 10, "a plate"),
    ("wyapp.gate.forms", "id_number"): ("wyapp.gate.validators:clean_id_number", 18, "18 位"),
    ("wyapp.service.forms", "phone"): ("wyapp.inputs:clean_phone", 12, "a phone's digits"),
    ("wyapp.service.forms", "caller_phone"): ("wyapp.inputs:clean_phone", 12, "digits"),
}
# fields read, never stored under their name
LOOKED_UP = {("wyapp.gate.forms", "code")}  # an invitation / release code typed to find it


def _modules():
    for info in pkgutil.walk_packages(wyapp.__path__, "wyapp."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


MODULES = list(_modules())
FORMS = sorted({cls for module in MODULES for _, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, BaseForm) and cls.__module__.startswith("wyapp.")},
               key=lambda cls: f"{cls.__module__}.{cls.__name__}")
MODELS = {cls for module in MODULES for _, cls in inspect.getmembers(module, inspect.isclass)
          if issubclass(cls, peewee.Model) and cls.__module__.startswith("wyapp.")}
CORE = ("wyapp.models", "wyapp.sessions", "wyapp.db", "wyapp.idempotency")


def _feature(module_name):
    parts = module_name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else None


def _columns(form, name):
    """The text columns named `name` in the form's feature (or the core's): [(model, max)],
    max None for an unlimited TextField."""
    feature = _feature(form.__module__)
    found = []
    for model in MODELS:
        column = model._meta.fields.get(name)
        near = _feature(model.__module__) == feature or (
            model.__module__ in CORE and feature in ("wyapp.admin", "wyapp.accounts", None))
        if near and isinstance(column, peewee.CharField | peewee.TextField):
            found.append((model.__name__, getattr(column, "max_length", None)
                          if isinstance(column, peewee.CharField) else None))
    return found


def _text_fields(form):
    for name, unbound in inspect.getmembers(form):
        field_class = getattr(unbound, "field_class", None)
        if field_class is None or not issubclass(field_class, StringField) or \
                issubclass(field_class, HiddenField):
            continue
        validators = unbound.kwargs.get("validators") or \
            (unbound.args[1] if len(unbound.args) > 1 else [])
        limits = [v.max for v in validators if isinstance(v, Length) and v.max > 0]
        yield name, field_class, (min(limits) if limits else None), validators


def test_the_forms_are_found():
    assert len(FORMS) > 40 and len(MODELS) > 40


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.__module__[6:]}.{f.__name__}")
def test_every_text_field_is_bounded_by_its_column(form):
    for name, field_class, limit, validators in _text_fields(form):
        if issubclass(field_class, PasswordField) and name in ("confirm",):
            continue  # must equal the new password, which is bounded
        assert limit is not None, f"{form.__name__}.{name} has no maximum length"
        columns = _columns(form, name)
        if not columns or (form.__module__, name) in LOOKED_UP:
            continue
        widest = max((c[1] for c in columns), key=lambda n: float("inf") if n is None else n)
        if widest is None or limit <= widest:
            continue
        cleaned = CLEANED.get((form.__module__, name))
        assert cleaned, (f"{form.__name__}.{name} takes {limit} characters; its column "
                         f"holds {widest} ({columns})")
        assert cleaned[1] <= widest, (form.__name__, name, cleaned, columns)
        module, function = cleaned[0].split(":")
        cleaner = getattr(importlib.import_module(module), function)
        assert any(cell.cell_contents is cleaner for v in validators
                   for cell in (getattr(v, "__closure__", None) or ())), \
            f"{form.__name__}.{name} is not cleaned by {cleaned[0]}"


LONGEST_INPUTS = {  # typed values of the field's full length that the cleaner might keep
    "wyapp.inputs:clean_mobile": ["+86 138-1234-5678" + " " * 13, "1" * 30, "0086" + "1" * 26],
    "wyapp.inputs:clean_phone": ["0755-1234567890123456789012345", "1" * 30, "0" * 30],
    "wyapp.gate.validators:clean_plate": ["粤B12345应急ABC", "WJ01123456789", "A" * 12,
                                          "使 014 578 · A"],
    "wyapp.gate.validators:clean_id_number": ["11010519491231002X" + " " * 6, "1" * 24],
}


@pytest.mark.parametrize("cleaner", sorted({c[0] for c in CLEANED.values()}))
def test_cleaners_never_return_more_than_the_column_holds(cleaner):
    module, function = cleaner.split(":")
    clean = getattr(importlib.import_module(module), function)
    longest = max(c[1] for c in CLEANED.values() if c[0] == cleaner)
    for value in LONGEST_INPUTS[cleaner]:
        try:
            result = clean(value)
        except DomainError as error:
            assert error.message
            continue
        assert len(result) <= longest, (cleaner, value, result)
