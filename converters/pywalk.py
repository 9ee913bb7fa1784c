"""The rules' pass over a libcst tree: a post-order walk that calls their `leave_<NodeType>` hooks.

libcst's own `visit` calls the visitor on every node, whitespace and punctuation included, and rebuilds
every node it passes; for the rules that costs as much as parsing. The rules hook only syntax nodes
(calls, attributes, strings, statements ...), so this walk skips the token nodes (whitespace, comments,
commas, operators, parentheses), rebuilds a node only when a child changed, and calls the hooks as
libcst's visit would: children first, in source order, then the node with its updated children. A
rule's hook runs only on nodes holding one of the rule's candidates in a name or string (the only
nodes a hook acts on; a string with a backslash escape counts as holding them all).

The walk also records the nodes the hooks replaced, narrowed to the parts that really changed (`x` in
`x.y(...)` rather than the whole call), so that the cell's new text is its old text with those parts
swapped (`pysplice.splice`) instead of the code of the whole module generated again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import libcst as cst

from emrlab.converters.pyliterals import Literal
from emrlab.converters.pysplice import Replacement, changed_fields, expression, parts

Hook = Callable[[Any, Any, Any], Any]

# Fields that only ever hold whitespace, comments, punctuation or operators (never a hooked node).
_TOKEN_FIELD_NAMES = """lpar rpar comma semicolon dot equal colon first_colon second_colon operator
    lbracket rbracket lbrace rbrace asynchronous relative leading_lines lines_after_decorators header footer
    trailing_whitespace first_line empty_lines last_line newline comment separator trailing_comma
    posonly_ind"""
_TOKEN_FIELDS = frozenset(_TOKEN_FIELD_NAMES.split())
_TOKEN_BASES: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Asynchronous,
    cst.ParamSlash,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
)


class WalkContext(Protocol):
    """What the walk tells the rules' context besides running hooks."""

    def is_databricks(self, name: cst.Name) -> bool: ...

    def saw_dbutils(self, name: cst.Name) -> None: ...


class HookTable:
    """The hooks of a set of rules by node class, each with the bit of the rule it belongs to."""

    def __init__(self, rules: Sequence[tuple[Sequence[str], Mapping[str, Hook]]]) -> None:
        """`rules`: (candidates, node type name -> hook) for each rule, in the order hooks run."""
        table: dict[type[cst.CSTNode], list[tuple[int, Hook]]] = {}
        self.candidate_bits: dict[str, int] = {}
        for index, (candidates, hooks) in enumerate(rules):
            bit = 1 << index
            for candidate in candidates:
                self.candidate_bits[candidate] = self.candidate_bits.get(candidate, 0) | bit
            for name, hook in hooks.items():
                node_type = getattr(cst, name, None)  # hooks named after no libcst node never run
                if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                    table.setdefault(node_type, []).append((bit, hook))
        self.table = {node_type: tuple(hooks) for node_type, hooks in table.items()}
        self.all_bits = (1 << len(rules)) - 1
        alternatives = sorted(self.candidate_bits, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
        self.cache: dict[str, int] = {}
        # Hooks on whitespace or punctuation need libcst's own visit, which reaches every node.
        self.needs_full_visit = any(issubclass(node_type, _TOKEN_BASES) for node_type in self.table)

    def text_bits(self, text: str) -> int:
        """The rules one of whose candidates `text` (a name or a string's code) holds."""
        found = self.cache.get(text)
        if found is None:
            if len(self.cache) > 50_000:
                self.cache.clear()
            found = self.cache[text] = self._text_bits(text)
        return found

    def _text_bits(self, text: str) -> int:
        if "\\" in text:
            return self.all_bits  # an escape may spell a candidate out
        if self.pattern is None or self.pattern.search(text) is None:
            return 0
        found = 0
        for candidate, bits in self.candidate_bits.items():
            if candidate in text:
                found |= bits
        return found


class _Spec(NamedTuple):
    fields: tuple[str, ...]  # fields that may hold syntax nodes, in source order
    order: tuple[str, ...]  # every field, in source order
    text: bool  # a leaf whose `value` is its code (a name, a string, a number)
    block: bool  # an indented block: what it holds carries its indentation
    line: bool  # a line of small statements (`a = 1; b = 2`)
    leaf: bool  # no field holds a syntax node


class _FieldRecorder(cst.CSTTransformer):
    """Learns the order in which libcst visits a node type's fields (asked once per type)."""

    def __init__(self, parent: cst.CSTNode) -> None:
        super().__init__()
        self.parent = parent
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.parent and attribute not in self.fields:
            self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        return updated_node


_SPECS: dict[type[cst.CSTNode], _Spec] = {}
_NODE, _SEQUENCE, _OTHER = 1, 2, 3
_KINDS: dict[type[Any], int] = {tuple: _SEQUENCE, list: _SEQUENCE, str: _OTHER, type(None): _OTHER}


def _spec(node: cst.CSTNode) -> _Spec:
    recorder = _FieldRecorder(node)
    node._visit_and_replace_children(recorder)  # builds a copy of this one node: cheap, once per type
    visited = recorder.fields
    fields = tuple(n for n in visited if n not in _TOKEN_FIELDS and not n.startswith("whitespace"))
    order = visited + [f.name for f in dataclasses.fields(node) if f.name not in visited]
    text = isinstance(getattr(node, "value", None), str)
    block = isinstance(node, cst.IndentedBlock)
    line = isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
    spec = _SPECS[type(node)] = _Spec(fields, tuple(order), text, block, line, not fields)
    return spec


def _fields_of(node: cst.CSTNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    spec = _SPECS.get(type(node)) or _spec(node)
    return spec.fields, spec.order


def _kind(value: Any) -> int:
    kind = _KINDS.get(type(value))
    if kind is None:
        kind = _KINDS[type(value)] = _NODE if isinstance(value, cst.CSTNode) else _OTHER
    return kind


class Walker:
    """Calls the hooks of `hooks` for every syntax node, children first, as libcst's visit would."""

    def __init__(self, hooks: HookTable, rc: WalkContext) -> None:
        self.table = hooks.table
        self.hooks = hooks
        self.rc = rc
        self.replacements: list[Replacement] = []
        self.spliceable = True
        self._window = (0, 0)
        self._depth = 0  # indented blocks around the node being walked
        self._last_small = True  # the small statement being walked is the last of its line
        self._bits = 0  # the rules whose candidates the node just walked holds
        self._promote = False  # the node just walked changed, but its code cannot be patched alone

    def walk(self, node: cst.CSTNode, window: tuple[int, int], indented: bool) -> Any:
        """Walk one statement (or a whole module) lying in `source[window[0]:window[1]]`."""
        self._window, self._depth, self._last_small = window, int(indented), True
        result = self._walk(node)
        if self._promote:
            self.spliceable = False  # a change that no expression or small statement holds
        return result

    def _walk(self, node: cst.CSTNode) -> Any:
        cls = type(node)
        spec = _SPECS.get(cls) or _spec(node)
        bits = self._text_bits(node.value) if spec.text else 0  # type: ignore[attr-defined]
        replacements = self.replacements
        mark = len(replacements)
        self._depth += spec.block
        changes: dict[str, Any] | None = None
        promote = False
        table = self.table
        hooks = table.get(cls)
        bounds: list[int] | None = [] if hooks else None  # where each field's replacements end
        for name in spec.fields:
            value = getattr(node, name)
            kind = _KINDS.get(type(value)) or _kind(value)
            if kind == _NODE:
                child = _SPECS.get(type(value)) or _spec(value)
                if child.leaf and type(value) not in table:
                    if child.text:  # a name or a literal no rule hooks: nothing to walk
                        bits |= self._text_bits(value.value)
                else:
                    new = self._walk(value)
                    bits |= self._bits
                    promote = promote or self._promote
                    if new is not value:
                        if not isinstance(new, cst.CSTNode):
                            raise TypeError(
                                f"a rule removed a {type(value).__name__}; only libcst can do that"
                            )
                        changes = changes or {}
                        changes[name] = new
            elif kind == _SEQUENCE and value:
                items = self._walk_sequence(value, spec.line and name == "body")
                bits |= self._bits
                promote = promote or self._promote
                if items is not None:
                    changes = changes or {}
                    changes[name] = items
            if bounds is not None:
                bounds.append(len(replacements))
        self._depth -= spec.block
        updated = node.with_changes(**changes) if changes else node
        if cls is cst.Attribute:
            self._attribute(node)
        result = self._leave(node, updated, hooks, bits) if hooks and bits else updated
        self._bits, self._promote = bits, False
        if result is not updated or promote:
            self._replaced(node, updated, result, spec, mark, bounds if not promote else None)
        return result

    def literals(self, strings: Iterable[Literal]) -> None:
        """Run the string hooks on literals found without libcst (`pyliterals`), as the walk would run
        them on the `SimpleString` nodes libcst would have parsed there."""
        hooks = self.table.get(cst.SimpleString)
        if not hooks:
            return
        for code, start, end in strings:
            bits = self._text_bits(code)
            if not bits:
                continue
            node = cst.SimpleString(code)
            new = self._leave(node, node, hooks, bits)
            if new is node:
                continue
            if not expression(new):
                self.spliceable = False  # only the whole cell's module can place it
            self.replacements.append(Replacement(node, new, (start, end), False, None))

    def _replaced(
        self, node: cst.CSTNode, updated: Any, result: Any, spec: _Spec, mark: int, bounds: list[int] | None
    ) -> None:
        """Record that `node` became `result` (narrowed to what changed when `bounds` are known)."""
        narrowed = None
        if result is not updated and bounds is not None:
            narrowed = self._narrowed(node, updated, result, spec, mark, bounds)
        if narrowed is not None:
            self.replacements[mark:] = narrowed
        elif self._patchable(node, result):
            self.replacements[mark:] = [self._replacement(node, result, None)]
        else:
            self._promote = True

    def _text_bits(self, text: str) -> int:
        bits = self.hooks.cache.get(text)
        return self.hooks.text_bits(text) if bits is None else bits

    def _walk_sequence(self, items: Sequence[Any], small_statements: bool) -> tuple[Any, ...] | None:
        """The walked items, or None when none changed (removal and flattening as libcst does them)."""
        new_items: list[Any] | None = None
        last = len(items) - 1
        bits = 0
        promote = False
        table = self.table
        for index, item in enumerate(items):
            if small_statements:
                self._last_small = index == last
            spec = _SPECS.get(type(item))
            if spec is not None and spec.leaf and type(item) not in table:
                if spec.text:
                    bits |= self._text_bits(item.value)
                new = item
            else:
                new = self._walk(item) if _kind(item) == _NODE else item
                bits |= self._bits
                promote = promote or self._promote
            if new is item and new_items is None:
                continue
            if new_items is None:
                new_items = list(items[:index])
            if isinstance(new, cst.FlattenSentinel):
                new_items.extend(new)
            elif not isinstance(new, cst.RemovalSentinel):
                new_items.append(new)
        self._bits, self._promote = bits, promote
        return None if new_items is None else tuple(new_items)

    def _leave(
        self, original: cst.CSTNode, updated: Any, hooks: Sequence[tuple[int, Hook]], bits: int
    ) -> Any:
        """libcst's `on_leave` for the rules: run the hooks of the rules concerned, in order."""
        cls = type(original)
        for bit, hook in hooks:
            if not isinstance(updated, cls):
                break  # an earlier rule replaced or removed the node
            if bits & bit:
                updated = hook(original, updated, self.rc)
        if not isinstance(updated, (cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel)):
            raise cst.CSTValidationError(
                "Expected a node of type CSTNode or a RemovalSentinel, "
                + f"but got a return value of {type(updated).__name__}"
            )
        return updated

    def _attribute(self, node: Any) -> None:
        """Note a use of Databricks' `dbutils` (for the finding about those no rule handled)."""
        value = node.value
        if type(value) is cst.Name and value.value == "dbutils" and self.rc.is_databricks(value):
            self.rc.saw_dbutils(value)

    def _replacement(self, original: cst.CSTNode, new: Any, anchor: cst.CSTNode | None) -> Replacement:
        return Replacement(original, new, self._window, self._depth > 0, anchor)

    def _patchable(self, node: cst.CSTNode, result: Any) -> bool:
        """Whether `result`'s code alone, put where `node`'s code was, gives the module's new code."""
        if expression(node):
            return expression(result)
        if isinstance(node, cst.FormattedStringText):
            return isinstance(result, (cst.FormattedStringText, cst.FormattedStringExpression))
        if isinstance(node, cst.BaseSmallStatement) and isinstance(result, cst.BaseSmallStatement):
            # A small statement followed by another one on its line gets `; ` from its parent by default.
            explicit = not isinstance(getattr(result, "semicolon", None), cst.MaybeSentinel)
            return self._last_small or explicit
        return False

    def _narrowed(
        self, node: cst.CSTNode, updated: Any, result: Any, spec: _Spec, mark: int, bounds: list[int]
    ) -> list[Replacement] | None:
        """The replacements for a hook's new node as the parts that differ from `updated` (fields of
        it that changed, with the records of the fields that did not), or None."""
        if type(result) is not type(node) or not self._patchable(node, result):
            return None
        changed = changed_fields(updated, result, spec.order)
        if changed is None or not changed <= set(spec.fields):
            return None  # a list of nodes or a token changed
        records: list[Replacement] = []
        anchor: cst.CSTNode | None = node
        start = mark
        for name, end in zip(spec.fields, bounds, strict=True):
            if name not in changed:
                if start != end and anchor is node and all(r.anchor is not node for r in records):
                    anchor = None  # replacements inside its code come first: it cannot be searched after them
                records += self.replacements[start:end]
            elif start == end:
                found = parts(getattr(node, name), getattr(result, name), _fields_of)
                if found is None:
                    return None
                records += [self._replacement(old, new, anchor) for old, new in found]
            else:  # the field held earlier replacements: replace it whole
                old, new = getattr(node, name), getattr(result, name)
                if not expression(old) or not expression(new):
                    return None
                records.append(self._replacement(old, new, anchor))
            start = end
        return records
