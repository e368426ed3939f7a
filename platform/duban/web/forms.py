"""Small helpers shared by the views: flashing validation errors, committing one action."""
from __future__ import annotations

from contextlib import contextmanager

from flask import flash

from ..errors import ValidationError
from ..extensions import db


@contextmanager
def one_transaction():
    """Run one user action: commit when it succeeds, roll back everything when it raises.

    A ValidationError is flashed and swallowed (the caller checks ``ok.value``); any other
    exception propagates after the rollback.
    """
    outcome = _Outcome()
    try:
        yield outcome
        db.session.commit()
        outcome.value = True
    except ValidationError as e:
        db.session.rollback()
        outcome.errors = e.fields
        for m in e.messages:
            flash(m, "error")
    except BaseException:
        db.session.rollback()
        raise


class _Outcome:
    value = False
    errors: dict = {}

    def __bool__(self):
        return self.value
