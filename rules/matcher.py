"""Which conditions hold for one set of facts: durable-rules, or the Python oracle.

    matcher = compile_matcher({"rates/new": cond_a, "gates/floor": cond_b}, name="3f9a1c")
    matcher.matching({"deal.type": "new", ...})  # frozenset({"rates/new"})

The "durable" engine drives the durable_rules_engine C module directly (no Host, no
timer threads, no Python actions), over rules and facts built by
rules.conditions.durable_json. Conditions it cannot decide exactly, and those of a
ruleset it ever fails on, are decided by the oracle (`fallback`).

How it stays safe against the engine's known bugs (../shared/notes/durable-rules.md):
docs/conditions.md, "How conditions reach durable-rules (maintainers)".
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

import durable_rules_engine
import orjson

from rules.conditions import Condition
from rules.conditions.durable_json import INDEX, TAG, compile_ruleset
from rules.decisions import Decisions

ENGINES = ("durable", "python")
SID = "accord"  # constant: the session id must not depend on the data (hash collisions)
# A rule that fires on every fact. durable-rules never initialises a session's action
# context (state.c createStateNode) and delete_state frees it (deleteStateNode): after a
# fact that fired no rule that is a free() of garbage, and the process aborts depending
# on the heap layout (reproduced by merely importing datetime first). Once an action has
# run and completed, the context is NULL, so every session must fire at least this rule.
SENTINEL = "accord_sentinel"
# Facts asserted in one session by `matching_many`: 32 to 1,024 measured the same within
# the noise; 256 also bounds a session's state (docs/decisions.md, "Batched matching").
BATCH = 256
logger = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}\Z")


def fact_text(fact: dict[str, object]) -> str:
    """The fact as JSON with ASCII escapes, as the rules are written: equal strings stay
    byte-equal for the engine's strcmp, and no surrogate can fail its UTF-8 conversion.
    orjson writes it (16x faster than `json.dumps`) when its text is the same: ASCII
    without DEL, which orjson writes raw where `json` escapes it (and non-ASCII too)."""
    try:
        text = orjson.dumps(fact).decode()
    except orjson.JSONEncodeError:  # e.g. a lone surrogate: `json` escapes it
        text = ""
    if text and text.isascii() and "\x7f" not in text:
        return text
    return json.dumps(fact, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


class MatcherError(RuntimeError):
    """The engine misbehaved (wrong session, stored exception, refused message)."""


class Matcher(Protocol):
    def matching(self, facts: Mapping[str, object]) -> frozenset[str]: ...

    def matching_many(self, many: Sequence[Mapping[str, object]]) -> list[frozenset[str]]: ...


class PythonMatcher:
    """The oracle: every condition's own `holds`."""

    engine = "python"

    def __init__(self, conditions: Mapping[str, Condition]):
        self._items = tuple(conditions.items())

    def matching(self, facts: Mapping[str, object]) -> frozenset[str]:
        return frozenset(key for key, cond in self._items if cond.holds(facts))

    def matching_many(self, many: Sequence[Mapping[str, object]]) -> list[frozenset[str]]:
        return [self.matching(facts) for facts in many]


class _Ruleset:
    """One compiled durable-rules ruleset (a chunk of the matcher's rules)."""

    def __init__(self, name: str, rules: dict[str, dict], keys: dict[str, str]):
        self.name = name
        self.keys = {rule: keys[rule] for rule in rules}  # rule name -> caller's key
        self.lock = threading.Lock()
        # The engine may keep or alter what it is given (#254): give it a copy.
        definition = copy.deepcopy(rules)
        definition[SENTINEL] = {"all": [{"m": {TAG: 1}}]}
        text = json.dumps(definition, ensure_ascii=True)
        self.handle: int | None = None
        self.failure: str | None = None
        try:
            self.handle = durable_rules_engine.create_ruleset(name, text)
        except durable_rules_engine.error as error:  # e.g. error 113: too many and/or groups
            self.failure = f"durable-rules could not create the ruleset ({error})"


class DurableMatcher:
    """Rulesets in durable-rules; `fallback` lists keys the oracle decides, and why."""

    engine = "durable"

    def __init__(self, conditions: Mapping[str, Condition], name: str):
        plan = compile_ruleset(conditions)
        self.ruleset_name = f"accord_{name}"
        self.definition = plan.rules
        self.fallback = dict(plan.fallback)
        self._conditions = dict(conditions)
        self._oracle = tuple((key, conditions[key]) for key in plan.fallback)
        self._encode = plan.encoder(SID)
        self._rulesets = [
            _Ruleset(
                self.ruleset_name if i == 0 else f"{self.ruleset_name}_{i}",
                {rule: plan.rules[rule] for rule in names},
                plan.rule_keys,
            )
            for i, names in enumerate(plan.chunks)
        ]
        for ruleset in self._rulesets:
            if ruleset.failure:
                self._degrade(ruleset, ruleset.failure)
        # The engine's answers by the values each condition reads (`matching_many` only:
        # `matching` stays one assert per fact, the bare engine bench/evaluate.py times).
        engine_keys = {key for ruleset in self._rulesets for key in ruleset.keys.values()}
        self._decisions = Decisions.of({k: conditions[k] for k in sorted(engine_keys)})

    def _by_oracle(self, facts: Mapping[str, object]) -> set[str]:
        """The keys the oracle decides (`fallback`) that hold on `facts`."""
        return {key for key, cond in self._oracle if cond.holds(facts)}

    def matching(self, facts: Mapping[str, object]) -> frozenset[str]:
        found = self._by_oracle(facts)
        if self._rulesets:
            message = fact_text(self._encode(facts))
            for ruleset in self._rulesets:
                if ruleset.handle is None:  # degraded: the engine failed on it once
                    keys = set(ruleset.keys.values())
                    found.update(k for k in keys if self._conditions[k].holds(facts))
                else:
                    found.update(ruleset.keys[rule] for rule in self._fire(ruleset, message, facts))
        return frozenset(found)

    def _fire(self, ruleset: _Ruleset, message: str, facts: Mapping[str, object]) -> set[str]:
        fired: set[str] = set()
        with ruleset.lock:  # one live session per ruleset, ever
            handle = ruleset.handle
            if handle is None:  # degraded meanwhile (by another thread or fact)
                return self._fire_oracle(ruleset, facts)
            try:
                code, state_handle = durable_rules_engine.assert_fact(handle, message)
            except durable_rules_engine.error as error:
                self._degrade(ruleset, f"durable-rules failed on a fact ({error})")
                return self._fire_oracle(ruleset, facts)
            if code != 0:  # 1: not even the sentinel fired; 2: "observed" (#376)
                self._degrade(ruleset, f"durable-rules refused a fact (code {code})")
                return self._fire_oracle(ruleset, facts)
            failure: BaseException | None = None
            try:
                result = durable_rules_engine.start_action_for_state(handle, state_handle)
                if result:
                    self._check_state(json.loads(result[0]))
                # Each action names one rule and echoes the fact it bound; it must be
                # exactly the fact of this call: '{"<rule>":{"m":<message>}}'.
                tail = '":{"m":' + message + "}}"
                action_text = result[1] if result else None
                while action_text:
                    if action_text.startswith('{"') and action_text.endswith(tail):
                        fired.add(action_text[2 : -len(tail)])
                    else:
                        fired.update(self._bound_rules(action_text, message))
                    action_text = durable_rules_engine.complete_and_start_action(
                        handle, state_handle
                    )
            except BaseException as error:
                failure = error
                raise
            finally:
                self._end_session(handle, failure)
        return self._checked(ruleset, fired)

    def matching_many(self, many: Sequence[Mapping[str, object]]) -> list[frozenset[str]]:
        """`matching` of each of `many`, up to BATCH facts asserted in one session.

        `matching` pays the engine's per-session work (state, action context, delete) and
        a Python round trip for each fact; here they are paid once per BATCH facts. Facts
        asserted together fire the same rules as alone: every rule has one pattern, so no
        rule joins two facts, and each action echoes the one fact it bound.
        """
        if len(many) < 2:
            return [self.matching(facts) for facts in many]
        if not self._rulesets:
            return [frozenset(self._by_oracle(facts)) for facts in many]
        decisions = self._decisions
        if decisions.active:  # the engine decides only values it has not decided before
            answers = [decisions.recall(facts) for facts in many]
            unknown = [i for i, answer in enumerate(answers) if answer is None]
        else:
            answers, unknown = [None] * len(many), list(range(len(many)))
        decided = self._decide([many[i] for i in unknown])
        for i, holding in zip(unknown, decided, strict=True):
            answers[i] = frozenset(holding)
            decisions.learn(many[i], holding)
        if self._oracle:
            for i, facts in enumerate(many):
                answers[i] |= self._by_oracle(facts)
        return answers

    def _decide(self, many: Sequence[Mapping[str, object]]) -> list[set[str]]:
        """The keys of the engine's conditions that hold on each of `many`, asked in
        sessions of up to BATCH facts."""
        decided: list[set[str]] = [set() for _ in many]
        encode = self._encode
        texts = []
        memo: dict = {}
        for i, facts in enumerate(many):
            fact = encode(facts, memo)
            fact[INDEX] = i
            texts.append(fact_text(fact))
        for ruleset in self._rulesets:
            keys = ruleset.keys
            for start in range(0, len(many), BATCH):
                part = slice(start, start + BATCH)
                fired = self._fire_many(ruleset, texts[part], many[part])
                for into, rules in zip(decided[part], fired, strict=True):
                    into.update(keys[rule] for rule in rules)
        return decided

    def _fire_many(
        self, ruleset: _Ruleset, texts: list[str], many: Sequence[Mapping[str, object]]
    ) -> list[set[str]]:
        """`_fire` for several facts (`texts[i]` encodes `many[i]`) in one session."""
        with ruleset.lock:
            handle = ruleset.handle
            if handle is None:  # degraded: the engine failed on it once
                return [self._fire_oracle(ruleset, facts) for facts in many]
            try:
                message = "[" + ",".join(texts) + "]"
                code, state_handle = durable_rules_engine.assert_facts(handle, message)
            except durable_rules_engine.error as error:
                self._degrade(ruleset, f"durable-rules failed on a fact ({error})")
                return [self._fire_oracle(ruleset, facts) for facts in many]
            if code == 0:
                fired = self._actions(handle, state_handle, texts)
            elif not self._discard(handle, state_handle):
                self._degrade(ruleset, f"durable-rules refused a fact (code {code})")
                return [self._fire_oracle(ruleset, facts) for facts in many]
            else:  # 2: two texts hash alike (its message ids are 32-bit, #376)
                fired = None
        if fired is None:  # each fact alone then, in a session of its own
            return [
                self._fire(ruleset, text, facts) for text, facts in zip(texts, many, strict=True)
            ]
        return [self._checked(ruleset, rules) for rules in fired]

    def _actions(self, handle: int, state_handle: int, texts: list[str]) -> list[set[str]]:
        """Run a session's actions, then delete it: the rules each of `texts` fired. Each
        action names one rule and echoes the fact it bound: '{"<rule>":{"m":<text>}}'."""
        fired: list[set[str]] = [set() for _ in texts]
        of_text = dict(zip(texts, fired, strict=True))
        failure: BaseException | None = None
        try:
            result = durable_rules_engine.start_action_for_state(handle, state_handle)
            if result:
                self._check_state(json.loads(result[0]))
            action = result[1] if result else None
            while action:
                split = action.find('":{"m":')
                rules = of_text.get(action[split + 7 : -2]) if split > 2 else None
                if rules is not None and action.startswith('{"') and action.endswith("}}"):
                    rules.add(action[2:split])
                else:
                    rule, i = self._bound_fact(action, texts)
                    fired[i].add(rule)
                action = durable_rules_engine.complete_and_start_action(handle, state_handle)
        except BaseException as error:
            failure = error
            raise
        finally:
            self._end_session(handle, failure)
        return fired

    @staticmethod
    def _discard(handle: int, state_handle: int) -> bool:
        """Drain and delete a session the engine refused part of; False when no action ran:
        its action context is then uninitialised and must not be deleted (see SENTINEL)."""
        result = durable_rules_engine.start_action_for_state(handle, state_handle)
        if not result:
            return False
        while durable_rules_engine.complete_and_start_action(handle, state_handle):
            pass
        durable_rules_engine.delete_state(handle, SID)
        return True

    @staticmethod
    def _end_session(handle: int, failure: BaseException | None) -> None:
        """Delete the live session; a failure to do so is raised unless one is already."""
        try:
            durable_rules_engine.delete_state(handle, SID)
        except Exception:
            if failure is None:
                raise

    @staticmethod
    def _checked(ruleset: _Ruleset, fired: set[str]) -> set[str]:
        """The rules one fact fired, less the sentinel, which must be among them."""
        if SENTINEL not in fired:
            raise MatcherError("durable-rules did not fire the sentinel rule on the facts")
        fired.discard(SENTINEL)
        unknown = fired - ruleset.keys.keys()
        if unknown:
            raise MatcherError(f"unknown rules fired: {sorted(unknown)}")
        return fired

    def _degrade(self, ruleset: _Ruleset, reason: str) -> None:
        """Hand a ruleset's conditions to the oracle for good.

        Its session is deliberately not deleted: after a failed assert no action has run,
        and delete_state would free the uninitialised action context (see SENTINEL). The
        ruleset is never used again, so the stale session is harmless.
        """
        ruleset.handle = None
        for key in ruleset.keys.values():
            self.fallback.setdefault(key, reason)
        logger.error("matcher %s: %s; its conditions are decided in Python", ruleset.name, reason)

    def _fire_oracle(self, ruleset: _Ruleset, facts: Mapping[str, object]) -> set[str]:
        """The rules of a just-degraded ruleset that hold, by the oracle."""
        return {rule for rule, key in ruleset.keys.items() if self._conditions[key].holds(facts)}

    def close(self) -> None:
        """Delete the rulesets (tests only: a cached matcher must never be closed)."""
        for ruleset in self._rulesets:
            with ruleset.lock:
                if ruleset.handle is not None:
                    durable_rules_engine.delete_ruleset(ruleset.handle)
                    ruleset.handle = None
        self._rulesets = []

    @staticmethod
    def _bound_rules(action_text: str, message: str) -> set[str]:
        """The slow path: parse an action whose text is not the expected echo."""
        expected = json.loads(message)
        rules = set()
        for rule, bound in json.loads(action_text).items():
            if bound.get("m") != expected:
                raise MatcherError(f"rule {rule} fired on a fact of another call or session")
            rules.add(rule)
        return rules

    @staticmethod
    def _bound_fact(action_text: str, texts: list[str]) -> tuple[str, int]:
        """The slow path of `_actions`: the rule and which of `texts` an action names."""
        ((rule, bound),) = json.loads(action_text).items()
        for i, text in enumerate(texts):
            if bound.get("m") == json.loads(text):
                return rule, i
        raise MatcherError(f"rule {rule} fired on a fact of another call or session")

    @staticmethod
    def _check_state(state: Mapping[str, object]) -> None:
        if state.get("sid") != SID:
            raise MatcherError(f"durable-rules returned the state of session {state.get('sid')!r}")
        if "exception" in state:
            raise MatcherError(f"durable-rules stored an exception: {state['exception']}")


_compiled: dict[str, tuple[dict[str, Condition], DurableMatcher]] = {}
_compiled_lock = threading.Lock()


def compile_matcher(
    conditions: Mapping[str, Condition], *, name: str, engine: str = "durable"
) -> Matcher:
    """A matcher for `conditions` (keys are the caller's, e.g. "rates/new-business").

    `name` identifies the condition set (a content-hash prefix): the durable ruleset is
    compiled once per process per name, and a name cannot be reused for other conditions.
    """
    if engine == "python":
        return PythonMatcher(conditions)
    if engine != "durable":
        raise ValueError(f"unknown matching engine {engine!r}; use one of {ENGINES}")
    if not _NAME.match(name):
        raise ValueError(f"matcher name {name!r} must be 1-100 letters, digits, '-' or '_'")
    wanted = dict(conditions)
    with _compiled_lock:
        cached = _compiled.get(name)
        if cached is not None:
            if cached[0] != wanted:
                raise ValueError(f"matcher name {name!r} is already used for other conditions")
            return cached[1]
        matcher = DurableMatcher(wanted, name)
        _compiled[name] = (wanted, matcher)
        return matcher
