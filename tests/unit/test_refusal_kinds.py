"""A failed job records its refusal's kind by name; `kind_named` finds the class again."""

from governance import errors


def test_every_refusal_kind_is_found_by_its_name_and_nothing_else_is():
    assert errors.kind_named("Conflict") is errors.Conflict
    assert errors.kind_named("DocumentRejected") is errors.DocumentRejected  # a grandchild
    assert errors.kind_named("RunRejected") is errors.RunRejected
    assert errors.kind_named("GovernanceError") is errors.GovernanceError
    assert errors.kind_named("ValueError") is None  # not a refusal
    assert errors.kind_named("") is None
