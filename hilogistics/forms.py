"""Form pieces shared by several domains."""

import uuid

from wtforms import HiddenField


def new_operation_key() -> str:
    """A fresh one-time key for a stock-posting form."""
    return uuid.uuid4().hex


class OperationKeyField(HiddenField):
    """Hidden one-time key: the ledger posts a form with a given key once, however often sent."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(default=new_operation_key, **kwargs)
