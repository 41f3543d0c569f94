"""The plan language and its engine: pure Python, no Flask, no SQLAlchemy, no database.

    plan = rules.document.load_plan(text, source="ae.yaml")  # validated, or InvalidPlan
    data = rules.data.load_data(json_text_or_mapping)        # validated, or InvalidData
    output = rules.evaluate.evaluate([plan], data, "2026-Q3")  # section-5 output, traced

Also: `rules.lint` (errors and warnings), `rules.canonical` (the version hash),
`rules.evaluation.embedded` (a plan's own tests), `rules.explain` (lines in plain words),
`rules.conditions` (the `when` language) and `rules.commands` (`accord evaluate`, `lint`,
`test`). governance/ and app/ build on it; it imports neither. The language:
docs/plan-language.md; what loading checks: docs/plan-validation.md.
"""
