"""One-token mutants of a Python module, each named so that it survives edits elsewhere.

A mutant changes one operator, constant, keyword or rounding-mode name, or deletes one
statement of a function body. Its id is ``file::function::change::source line``: line
numbers move when code is added above, ids do not (docs list equivalent mutants by id).
"""

from __future__ import annotations

import ast
import io
import itertools
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Operator tokens and what each may become (boundary and negation for comparisons).
OPERATORS: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">="),
    "<=": ("<", ">"),
    ">": (">=", "<="),
    ">=": (">", "<"),
    "==": ("!=",),
    "!=": ("==",),
    "+": ("-",),
    "-": ("+",),
    "*": ("/",),
    "/": ("*",),
    "//": ("/",),
    "**": ("*",),
    "|": ("&",),
    "&": ("|",),
    "+=": ("-=",),
    "-=": ("+=",),
    "*=": ("/=",),
    "/=": ("*=",),
    "and": ("or",),
    "or": ("and",),
    "is": ("is not",),
    "in": ("not in",),
    "not": ("",),
}
#: Names swapped wherever they are read: booleans and rounding modes.
NAMES: dict[str, str] = {
    "True": "False",
    "False": "True",
    "HALF_UP": "HALF_EVEN",
    "HALF_EVEN": "HALF_UP",
    "UP": "DOWN",
    "DOWN": "UP",
    "ROUND_HALF_UP": "ROUND_HALF_EVEN",
    "ROUND_HALF_EVEN": "ROUND_HALF_UP",
    "ROUND_UP": "ROUND_DOWN",
    "ROUND_DOWN": "ROUND_UP",
    "PER_LINE": "PER_CATEGORY",
    "PER_CATEGORY": "PER_LINE",
    "INCLUSIVE": "EXCLUSIVE",
    "EXCLUSIVE": "INCLUSIVE",
}

Pos = tuple[int, int]  # (line, column in characters), as tokenize reports them


@dataclass(frozen=True)
class Mutant:
    """One changed version of a module and the name it is reported under."""

    id: str
    line: int
    #: The last line it changes (a deleted statement may span several).
    end: int
    source: str


def mutants(path: Path) -> list[Mutant]:
    """Every distinct mutant of the module at ``path`` that still compiles, in source order."""
    text = path.read_text(encoding="utf-8")
    found: dict[str, Mutant] = {}
    seen = {text}
    for line, end, func, change, source in sorted(_changes(text), key=lambda m: m[0]):
        if source in seen or not _compiles(source):
            continue
        seen.add(source)
        stripped = text.splitlines()[line - 1].strip()
        base = f"{path.name}::{func}::{change}::{stripped}"
        mutant_id, n = base, 1
        while mutant_id in found:
            n += 1
            mutant_id = f"{base}#{n}"
        found[mutant_id] = Mutant(mutant_id, line, end, source)
    return list(found.values())


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def _changes(text: str) -> Iterator[tuple[int, int, str, str, str]]:
    """(line, last line, function, change, mutated source) for every candidate mutation."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    scope = _Scopes(tree, lines)
    for tok in scope.tokens:
        row, col = tok.start
        if scope.in_annotation(tok.start):
            continue
        options: tuple[str, ...] = ()
        if tok.start in scope.operators:
            options = OPERATORS.get(tok.string, ())
        elif tok.type == tokenize.NUMBER and tok.start in scope.ints:
            value = int(tok.string, 0)
            options = tuple(str(v) for v in (value + 1, value - 1) if v >= 0)
        elif tok.type == tokenize.NAME and tok.start in scope.loads:
            options = (NAMES[tok.string],) if tok.string in NAMES else ()
        for new in options:
            line = lines[row - 1]
            end = tok.end[1]
            if new == "" and line[end : end + 1] == " ":
                end += 1  # `not x` -> `x`, not ` x`
            mutated = [*lines[: row - 1], line[:col] + new + line[end:], *lines[row:]]
            change = f"{tok.string} -> {new or 'deleted'}"
            yield row, row, scope.function_at(row), change, "".join(mutated)
    for stmt in scope.statements:
        first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        mutated = [*lines[: first - 1], f"{indent}pass\n", *lines[last:]]
        yield first, last, scope.function_at(first), "statement deleted", "".join(mutated)


class _Scopes(ast.NodeVisitor):
    """What the AST says about token positions: operators, int constants, names read, ..."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.lines = lines
        self.operators: set[Pos] = set()
        self.ints: set[Pos] = set()
        self.loads: set[Pos] = set()
        self.annotations: list[tuple[Pos, Pos]] = []
        self.statements: list[ast.stmt] = []
        self.functions: list[tuple[int, int, str]] = []
        self._stack: list[str] = []
        self.tokens = list(tokenize.generate_tokens(io.StringIO("".join(lines)).readline))
        self.visit(tree)

    def pos(self, line: int, byte_col: int) -> Pos:
        """A node's (line, byte offset) as tokenize's (line, character offset)."""
        return line, len(self.lines[line - 1].encode()[:byte_col].decode())

    def start(self, node: ast.expr | ast.stmt) -> Pos:
        return self.pos(node.lineno, node.col_offset)

    def end(self, node: ast.expr | ast.stmt) -> Pos:
        return self.pos(node.end_lineno or node.lineno, node.end_col_offset or 0)

    def in_annotation(self, at: Pos) -> bool:
        return any(a <= at < b for a, b in self.annotations)

    def function_at(self, line: int) -> str:
        inner = [(b - a, name) for a, b, name in self.functions if a <= line <= b]
        return min(inner)[1] if inner else "<module>"

    def _between(self, after: Pos, before: Pos) -> None:
        """Mark the operator tokens between two operands (parentheses skipped)."""
        for tok in self.tokens:
            if after <= tok.start < before and tok.string not in "()":
                self.operators.add(tok.start)

    def _annotate(self, node: ast.expr | None) -> None:
        if node is not None:
            self.annotations.append((self.start(node), self.end(node)))

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._stack.append(node.name)
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        self.functions.append((first, node.end_lineno or node.lineno, ".".join(self._stack)))
        if not isinstance(node, ast.ClassDef):
            a = node.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
                self._annotate(arg.annotation if arg else None)
            self._annotate(node.returns)
            self._collect_statements(node.body)
        self.generic_visit(node)
        self._stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope  # noqa: N815

    def _collect_statements(self, body: list[ast.stmt]) -> None:
        for i, stmt in enumerate(body):
            docstring = (
                i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            )
            nested = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if docstring or nested or isinstance(stmt, ast.Pass):
                continue
            head = self.lines[stmt.lineno - 1]
            # An `elif` is an If in its parent's orelse: not deleted alone, but walked.
            if not head[: stmt.col_offset].strip() and not head.lstrip().startswith("elif"):
                self.statements.append(stmt)
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list):
                    self._collect_statements(inner)
            for handler in getattr(stmt, "handlers", []):
                self._collect_statements(handler.body)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._annotate(node.annotation)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._between(self.end(node.left), self.start(node.right))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for left, right in itertools.pairwise(node.values):
            self._between(self.end(left), self.start(right))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            self._between(self.end(left), self.start(right))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._between(self.end(node.target), self.start(node.value))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.USub | ast.Not):
            self.operators.add(self.start(node))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            self.loads.add(self.start(node))
        elif isinstance(node.value, int):
            self.ints.add(self.start(node))

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.add(self.start(node))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            end = self.end(node)
            self.loads.add((end[0], end[1] - len(node.attr)))
        self.generic_visit(node)
