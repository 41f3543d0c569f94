"""The pure quorum tally (governance.committee.quorum.tally), without a database: required
functions filled one per person, order independence, when a rejection rejects, and when
approval is no longer possible."""

from __future__ import annotations

from governance.committee.quorum import QuorumRule, tally


class _Ballot:
    """A committee member's vote, as the tally reads it."""

    def __init__(self, voter_id, decision, functions=(), roles=("committee",)):
        self.voter_id, self.decision = voter_id, decision
        self.functions, self.roles = list(functions), list(roles)


RULE = QuorumRule(3, ("finance", "sales"), (), True)


def test_one_person_fills_at_most_one_required_function():
    both = _Ballot(1, "approve", ["finance", "sales"])
    hr1, hr2 = _Ballot(2, "approve", ["hr"]), _Ballot(3, "approve", ["hr"])
    result = tally([both, hr1, hr2], RULE)
    assert (len(result.approvals), result.approved) == (3, False)
    assert result.missing == ["function:sales"] or result.missing == ["function:finance"]
    sales = _Ballot(4, "approve", ["sales"])
    assert tally([both, hr1, sales], RULE).approved


def test_the_tally_does_not_depend_on_the_order_of_the_votes():
    # Greedy in voter order would give finance to 1 and leave sales unfilled.
    both = _Ballot(1, "approve", ["finance", "sales"])
    finance = _Ballot(2, "approve", ["finance"])
    other = _Ballot(3, "approve", [])
    for ballots in ([both, finance, other], [other, finance, both]):
        result = tally(ballots, RULE)
        assert result.approved and result.filled == {"function:finance": 2, "function:sales": 1}


def test_rejections_reject_only_when_the_rule_says_so():
    ballots = [
        _Ballot(1, "approve", ["finance"]),
        _Ballot(2, "approve", ["sales"]),
        _Ballot(3, "approve", []),
        _Ballot(4, "reject", ["hr"]),
    ]
    assert tally(ballots, RULE).outcome == "rejected"
    lenient = QuorumRule(3, ("finance", "sales"), (), False)
    assert tally(ballots, lenient).outcome == "approved"


def test_the_pure_tally_says_when_approval_is_no_longer_possible():
    rule = QuorumRule(3, ("finance", "sales"), (), False)
    ballots = [_Ballot(1, "approve", ["finance"]), _Ballot(2, "reject", ["sales"])]
    still = {3: {"function:sales"}, 4: {"function:hr"}}
    open_ = tally(ballots, rule, undecided=still)
    assert (open_.outcome, open_.possible, open_.undecided) == ("open", True, 2)
    # Without a sales member left, "finance and sales" cannot be filled any more.
    blocked = tally(ballots, rule, undecided={4: {"function:hr"}, 5: set()})
    assert (blocked.outcome, blocked.possible) == ("rejected", False)
    assert blocked.summary().endswith("approval is no longer possible")
    # Impossible without any rejection is not a rejection (an understaffed committee).
    no_reject = tally([_Ballot(1, "approve", ["finance"])], rule, undecided={})
    assert (no_reject.possible, no_reject.outcome) == (False, "open")
    # A pure count without the electorate never claims impossibility.
    assert tally(ballots, rule).possible is None
