"""Compile-time policy: what BPMN code may contain, checked once per source text and cached."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, IOPERATOR_TO_STR, copy_locations

from engine.errors import SandboxViolation

# --- compile-time policy ------------------------------------------------------------------------------------

_OPERATOR_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.MatMult: "@", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.FloorDiv: "//",
}
_FORBIDDEN_CALLS = frozenset(
    "breakpoint compile delattr dir eval exec getattr globals hasattr help input locals memoryview object "
    "open setattr super type vars".split()
)
_FORMAT_ATTRIBUTES = frozenset({"format", "format_map"})


def _not_allowed(what: str, hint: str = "") -> Callable[[RestrictingNodeTransformer, ast.AST], ast.AST]:
    def visit(self: RestrictingNodeTransformer, node: ast.AST) -> ast.AST:
        self.error(node, f"{what} are not allowed in scripts{hint}")
        return node

    return visit


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter, with calls to the guards above woven in."""

    def error(self, node: ast.AST, info: str) -> None:
        self.errors.append(f"line {getattr(node, 'lineno', '?')}: {info}")

    def _call(self, guard: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=args, keywords=[])
        copy_locations(call, where)
        return call

    def check_name(self, node: ast.AST, name: str | None, allow_magic_methods: bool = False) -> None:
        if name and name.startswith("_") and name != "_":
            self.error(node, f"names starting with '_' are not allowed: {name}")
        else:
            super().check_name(node, name, allow_magic_methods)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self.error(node, "print() is not available in scripts; put values in variables instead")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr.startswith("_"):
            self.error(node, f"names starting with '_' are not allowed: {node.attr}")
        elif node.attr in _FORMAT_ATTRIBUTES:
            self.error(node, f"'.{node.attr}' is not allowed in scripts; use f-strings or % for formatting")
        elif node.attr in INSPECT_ATTRIBUTES:
            self.error(node, f"'.{node.attr}' (interpreter internals) is not allowed in scripts")
        elif not isinstance(node.ctx, ast.Load):
            self.error(node, f"attributes cannot be set or deleted in scripts: .{node.attr}")
        else:
            return super().visit_Attribute(node)
        return self.node_contents_visit(node)

    def _ticked(self, node: ast.expr) -> ast.expr:
        """``_tick_() or node``: check the deadline, then evaluate ``node`` as before."""
        ticked = ast.BoolOp(op=ast.Or(), values=[self._call("_tick_", [], node), node])
        copy_locations(ticked, node)
        return ticked

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f"{node.func.id}() is not available in scripts")
            return self.node_contents_visit(node)
        return self._ticked(super().visit_Call(node))

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        return self._ticked(self.node_contents_visit(node))

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = ast.Constant(_OPERATOR_SYMBOLS[type(node.op)])
        return self._call("_op_", [symbol, node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        """``d[k] += v`` (refused by RestrictedPython) becomes a guarded read-modify-write of ``d[k]``."""
        target = node.target
        if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Slice):
            return super().visit_AugAssign(node)
        container, key, value = self.visit(target.value), self.visit(target.slice), self.visit(node.value)
        obj_name, key_name = self.gen_tmp_name(), self.gen_tmp_name()
        obj, key_ref = ast.Name(obj_name, ast.Load()), ast.Name(key_name, ast.Load())
        current = self._call("_getitem_", [obj, key_ref], node)
        symbol = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
        updated = self._call("_inplacevar_", [symbol, current, value], node)
        store = ast.Subscript(value=self._call("_write_", [obj], node), slice=key_ref, ctx=ast.Store())
        statements: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(obj_name, ast.Store())], value=container),
            ast.Assign(targets=[ast.Name(key_name, ast.Store())], value=key),
            ast.Assign(targets=[store], value=updated),
        ]
        for statement in statements:
            copy_locations(statement, node)
        return statements

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec or ast.Constant("")
        call = self._call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        formatted = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(formatted, node)
        return formatted

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = self._call("_starred_", [node.value], node)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node = self.node_contents_visit(node)
        node.values = [value if key is not None else self._call("_starred_", [value], value)
                       for key, value in zip(node.keys, node.values, strict=True)]
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.arg is None:
            node.value = self._call("_starred_", [node.value], node.value)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        tick = ast.Expr(self._call("_tick_", [], node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        node.body = self._ticked(node.body)
        return node

    visit_Import = visit_ImportFrom = _not_allowed("imports")
    visit_FunctionDef = visit_AsyncFunctionDef = _not_allowed("function definitions", "; use a lambda")
    visit_ClassDef = _not_allowed("class definitions")
    visit_Yield = visit_YieldFrom = _not_allowed("generators (yield)")
    visit_Global = visit_Nonlocal = _not_allowed("global and nonlocal statements")
    visit_With = visit_AsyncWith = _not_allowed("with statements")


@dataclass(frozen=True)
class _Compiled:
    code: CodeType | None
    problem: str | None = None
    syntax_error: tuple[type[SyntaxError], tuple[Any, ...]] | None = None


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> _Compiled:
    """Compile once per distinct source: conditions are evaluated on every engine step."""
    text = source.strip() if mode == "eval" else source  # conditions are often indented in the XML
    compile_restricted = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        tree = ast.parse(text, "<string>", mode)
        result = compile_restricted(tree, "<string>", policy=SandboxPolicy)
    except SyntaxError as err:
        return _Compiled(None, f"line {err.lineno}: {err.msg}", (type(err), err.args))
    except (ValueError, RecursionError, MemoryError) as err:
        return _Compiled(None, f"cannot be compiled: {err or type(err).__name__}")
    if result.errors:
        errors = list(dict.fromkeys(result.errors))
        more = len(errors) - 3
        return _Compiled(None, "; ".join(errors[:3]) + (f" (and {more} more)" if more > 0 else ""))
    return _Compiled(result.code)


def code_for(source: str, mode: str) -> CodeType:
    if not isinstance(source, str):
        raise TypeError(f"expected Python source text, not {type(source).__name__}")
    compiled = _compile(source, mode)
    if compiled.syntax_error is not None:
        error_class, args = compiled.syntax_error
        raise error_class(*args)
    if compiled.code is None:
        raise SandboxViolation(compiled.problem or "the code is not allowed")
    return compiled.code


def _check(source: str, mode: str) -> str | None:
    if not isinstance(source, str):
        return f"expected Python source text, not {type(source).__name__}"
    try:
        return _compile(source, mode).problem
    except Exception as err:  # the linter must get a message, whatever happened
        return f"cannot be checked: {err}"


def check_expression(source: str) -> str | None:
    """None if ``source`` is an expression the sandbox accepts, else a short message such as
    ``"line 1: names starting with '_' are not allowed: __class__"``. Never raises."""
    return _check(source, "eval")


def check_script(source: str) -> str | None:
    """Like :func:`check_expression`, for a script task's statements."""
    return _check(source, "exec")
