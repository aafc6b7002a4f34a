"""ncnn size expressions (`docs/developer-guide/expression.md`): a param value written as a
function of the layer's input blob dims, fitted from the values one param takes at several
compile sizes (`ncc.symbolic`).

Measured on the ncnn 1.0.20261020 wheel, CPU and Vulkan fp32/fp16 (tests/e2e/test_symbolic.py
`test_size_expression_semantics`):
- `0w 0h 0d 0c` are blob 0's dims as the layer sees them, channels unpacked (`0c` of a
  16-channel Mat stored with elempack 8 is 16); `1w` … are blob 1's, and a layer must have
  exactly as many bottoms as its expressions reference (`count_expression_blobs` = the
  highest index + 1; more or fewer fail `load_param` or `forward`).
- Prefix syntax `op(a,b)`; `//` on ints is C division (truncates toward zero), `/` is float
  division and the final value is truncated to int.
- Reshape `6=` and Interp `9=` lists are written **w first** (`w,h,c` / `w,h,d,c`; `w,h`);
  Crop `19=/20=/21=` are starts / ends / axes **per axis**, axes in the Mat's numpy order
  (c,h,w = 0,1,2; negative counts from the end), and an end ≤ 0 counts from the end (so 0
  means "to the end", as for the numeric 10=).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations

Mat = Sequence[int]

MAT_LETTERS = {1: "w", 2: "hw", 3: "chw", 4: "cdhw"}
"""Each axis of a batch-less numpy-order Mat shape named the way expressions name it."""


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _dims(mats: Sequence[Sequence[Mat]]) -> list[tuple[str, list[int]]]:
    """The candidate terms: every dim of every input blob, as its expression token and its value
    at each sample (blob 0 first, w before h before d before c: the usual suspects first)."""
    out = []
    for j, mat in enumerate(mats[0]):
        letters = MAT_LETTERS.get(len(mat))
        if letters is None or any(len(m) <= j or len(m[j]) != len(mat) for m in mats):
            continue
        for k in reversed(range(len(mat))):
            out.append((f"{j}{letters[k]}", [m[j][k] for m in mats]))
    return out


def _linear(token: str, xs: list[int], values: list[int]) -> str | None:
    """values = (p·x + r) // q at every sample, written in ncnn's syntax; None if not."""
    pairs = [(x, v) for x, v in zip(xs, values, strict=True)]
    pair = next(((a, b) for a, b in combinations(pairs, 2) if a[0] != b[0]), None)
    if pair is None:
        return None
    (x0, v0), (x1, v1) = pair
    slope = Fraction(v1 - v0, x1 - x0)
    p, q = slope.numerator, slope.denominator
    r = v0 * q - p * x0
    if any(_trunc_div(p * x + r, q) != v for x, v in pairs):
        return None
    term = token if p == 1 else f"*({token},{p})"
    if r > 0:
        term = f"+({term},{r})"
    elif r < 0:
        term = f"-({term},{-r})"
    return term if q == 1 else f"//({term},{q})"


def fit_size_expr(values: Sequence[int], mats: Sequence[Sequence[Mat]]) -> str | None:
    """An expression of the input blob dims that gives `values[i]` when the inputs are
    `mats[i]` (one list of input Mats per sample), checked at every sample; None when no
    linear form of one dim (`(p·X + r) // q`) nor a product of two dims (`k·X·Y`) fits."""
    values = [int(v) for v in values]
    if len(set(values)) == 1:
        return str(values[0])
    dims = [(t, xs) for t, xs in _dims(mats) if len(set(xs)) > 1]
    for token, xs in dims:
        expr = _linear(token, xs, values)
        if expr is not None:
            return expr
    for (ta, xa), (tb, xb) in combinations(dims, 2):
        prods = [a * b for a, b in zip(xa, xb, strict=True)]
        if all(prods) and len({Fraction(v, p) for v, p in zip(values, prods, strict=True)}) == 1:
            k = Fraction(values[0], prods[0])
            term = f"*({ta},{tb})"
            term = term if k.numerator == 1 else f"*({term},{k.numerator})"
            term = term if k.denominator == 1 else f"//({term},{k.denominator})"
            if all(evaluate_size_expr(term, m) == v for m, v in zip(mats, values, strict=True)):
                return term
    return None


def evaluate_size_expr(expr: str, mats: Sequence[Mat]) -> int:
    """An ncnn size expression (one item) at these input Mats, as `expression.cpp` computes it
    for the operators ncc writes (+ - * // on ints)."""
    tokens: list[str] = []
    cur = ""
    for ch in expr:
        if ch in "(),":
            if cur:
                tokens.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        tokens.append(cur)
    stack: list[int] = []
    for t in reversed(tokens):
        if len(t) == 2 and t[0].isdigit() and t[1] in "whdc":
            mat = mats[int(t[0])]
            stack.append(mat[MAT_LETTERS[len(mat)].index(t[1])] if t[1] in MAT_LETTERS[len(mat)] else 1)
        elif t in ("+", "-", "*", "//"):
            a, b = stack.pop(), stack.pop()
            stack.append(a + b if t == "+" else a - b if t == "-" else a * b if t == "*" else _trunc_div(a, b))
        else:
            stack.append(int(t))
    (result,) = stack
    return result
