"""The evaluation engine behind `rules.evaluate`, one module per concern of section 4.

- `context`: the data indexed once; per plan, compiled conditions and the credit step.
- `credit`: credit targets and attribution models (sub-shares).
- `facts` / `matching`: condition facts per deal and per credit line, and the matchers.
- `tiers`: pricing credit by band; `clawbacks`: recovery windows and fractions.
- `period`: one plan and period (eligibility to SPIFs); `settlement`: releases,
  clawbacks, forfeits and draws; `ledger`: what periods carry to later ones.
- `numbers`: exact decimal arithmetic and rendering; `output`: section-5 JSON and the
  statement table; `embedded`: running a plan's embedded tests.
"""
