"""The evaluation engine behind `rules.evaluate`: one module per step of section 4.

`credit` turns a deal into credit lines, `tiers` prices credit by attainment band,
`clawbacks` decides recovery windows, `ledger` carries holds, payments and draw balances
from period to period, `period` evaluates one plan for one period, `output` renders it.
"""
