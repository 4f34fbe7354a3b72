"""Every domain error has exactly one HTTP answer, in each error format."""

from api.errors import field_path
from api.native.problems import PROBLEM_TYPES
from api.riverty.errors import CODES
from domain.errors import LedgerError
from domain.money_errors import ExceedsLimitError


def concrete_errors() -> set[type[LedgerError]]:
    def below(cls: type[LedgerError]) -> set[type[LedgerError]]:
        found: set[type[LedgerError]] = set()
        for sub in cls.__subclasses__():
            found |= {sub} | below(sub)
        return found

    return below(LedgerError) - {ExceedsLimitError}


def test_every_ledger_error_has_a_problem_type():
    assert not {c.__name__ for c in concrete_errors() if c not in PROBLEM_TYPES}


def test_every_ledger_error_has_a_riverty_code():
    assert not {c.__name__ for c in concrete_errors() if c not in CODES}
    assert all(code.code.startswith(str(code.status)) for code in CODES.values())


def test_codes_are_unique_and_snake_case():
    codes = [c.code for c in PROBLEM_TYPES]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)


def test_field_paths_read_like_json():
    path = ("body", "order", "items", 0, "gross_amount")
    assert field_path(path) == "order.items[0].gross_amount"
    assert field_path(("query", "version")) == "query.version"
