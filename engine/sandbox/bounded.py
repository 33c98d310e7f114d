"""Which code may run inside the server process: code whose cost its own text bounds.

Every other piece of code runs in a sandbox worker process (:mod:`.pool`), where the budget is enforced from
outside the interpreter: a wall-clock kill by the server and ``setrlimit`` CPU and address-space limits. That
costs a round trip between processes per evaluation, which a gateway condition such as ``decision == 'approve'``
or an issuance script such as ``permit_number = "503/%05d/IP" % (application["seq"],)`` does not need.

Why the code accepted below cannot outrun its budget: it has no loop, no call, no comprehension, no lambda, no
unpacking and no arithmetic; only printf-style formatting whose format is a literal (its widths are checked by
the guards). What is left — comparisons, ``and``/``or``/``not``, names, constants, item reads, slices and literal
lists, tuples, sets and dicts of those — does at most one pass over the data it names per node of the text. The
data is task data, a tree whose size is bounded where it enters (a form's validation, a script's result checked
in a worker). A script may not read a name it changes (assigns, deletes or writes an item of): otherwise
``a = [x, x]``, ``b = [a, a]``, … shares one value 2ⁿ times in n lines, and comparing or checking it is 2ⁿ work
in C. Arithmetic is left out for the same reason: ``[[0] * 10**6] * 10**6`` is two allowed multiplications
whose result, formatted or compared, is 10¹² items of work.
"""

from __future__ import annotations

import ast
import functools

_EXPRESSION_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Compare,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.IfExp,
    ast.Name, ast.Load, ast.Constant, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Set, ast.Dict,
    ast.BinOp, ast.Mod,  # only as a literal format: see _is_literal_format
)
_STATEMENT_NODES = (ast.Module, ast.Expr, ast.Assign, ast.If, ast.Pass, ast.Delete, ast.Store, ast.Del)
#: Longest source handled in the server: longer text goes to a worker, whatever it holds.
MAX_BOUNDED_SOURCE = 2_000


@functools.lru_cache(maxsize=4096)
def runs_in_process(source: str, mode: str) -> bool:
    """Whether ``source`` (``mode`` "eval" or "exec") is bounded by its text and may run in the server process."""
    if len(source) > MAX_BOUNDED_SOURCE:
        return False
    text = source.strip() if mode == "eval" else source
    try:
        tree = ast.parse(text, "<string>", mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    allowed = _EXPRESSION_NODES + (_STATEMENT_NODES if mode == "exec" else ())
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            return False
        if isinstance(node, ast.Dict) and None in node.keys:  # {**other} copies other: unpacking
            return False
        if isinstance(node, ast.BinOp) and not _is_literal_format(node):
            return False
    return mode == "eval" or not (_changed_names(tree) & _read_names(tree))


def _is_literal_format(node: ast.BinOp) -> bool:
    return isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)


def _read_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _changed_names(tree: ast.AST) -> set[str]:
    """Names a script assigns or deletes, and names whose items it writes or deletes (``d['k'] = v`` changes d)."""
    changed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            changed.add(node.id)
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            changed.add(base.id if isinstance(base, ast.Name) else "")
    return changed
