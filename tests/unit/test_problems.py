"""Every domain error has exactly one HTTP answer."""

from api.problems import PROBLEM_TYPES, field_path
from domain.errors import LedgerError


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | all_subclasses(sub)
    return found


def test_every_ledger_error_has_a_problem_type():
    concrete = {c for c in all_subclasses(LedgerError) if c.code != "ledger_error"}
    missing = {
        c.__name__
        for c in concrete
        if c not in PROBLEM_TYPES and c.__name__ != "ExceedsLimitError"
    }
    assert not missing


def test_codes_are_unique_and_snake_case():
    codes = [c.code for c in PROBLEM_TYPES]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)


def test_field_paths_read_like_json():
    assert (
        field_path(("body", "order", "items", 0, "gross_amount"))
        == "order.items[0].gross_amount"
    )
    assert field_path(("query", "version")) == "query.version"
