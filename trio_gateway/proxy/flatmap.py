"""KrakenD's `flatmap_filter`: a port of `krakend/flatmap` `tree` as lura's formatter drives it.

Reference §3.3/§3.4. Go turns the document into nodes with ordered, labelled edges (one per object
key; arrays are "collection" nodes with edges "0", "1", ...), runs `del`/`move`/`append` on them
and expands the tree back. Its quirks are the contract: array edges keep their labels after a
delete (`del a.0` twice removes one element), a container whose edges are all gone expands to
null, duplicate labels are legal (lookups take the first, the expansion keeps the last), and
`move`/`append` can hang edges under scalars. Go orders an object's edges by map iteration
(random); here they follow the dict's order, which only shows with duplicate labels.

Rule 1: the tree is built lazily. A `_Node` holds one container's edges; a child no operation has
looked into stays the raw JSON value, which stands for exactly the subtree Go would build and
expands back to itself. `_child` explodes such a value (one level) only when an operation
descends into it; descents that cannot match skip it (`_can_match`), and a delete or rename at
the end of a path copies a raw object instead. An operation costs the width of the containers
on its paths, not the size of the document.

Rule 2: the input is never mutated (exploding and copy-on-write copy); untouched sub-values are
shared between input and output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["EndpointFlatmap", "compile_flatmap"]

WILDCARD = "*"
_INDEX_LABELS = [str(i) for i in range(1024)]
Path = list[str]
Data = dict[str, Any] | None
# A candidate's path in Go's `collectMoveCandidates` is a slice built with `append(nap.p, label)`,
# so siblings can share (and overwrite) one backing array: (backing array, length) reproduces it.
GoSlice = tuple[list[str], int]


class _Node:
    __slots__ = ("coll", "kids", "labels", "value")

    def __init__(self, labels: list[str], kids: list[Any], coll: bool, value: Any) -> None:
        self.labels = labels
        self.kids = kids  # each a _Node or a raw JSON value not yet looked into
        self.coll = coll
        self.value = value


def _explode(value: Any) -> _Node:
    """The node `newNode().flatten(value)` builds, one level deep."""
    if isinstance(value, dict) and value:
        return _Node(list(value), list(value.values()), False, None)
    if isinstance(value, list) and value:
        n = len(value)
        labels = _INDEX_LABELS[:n] if n <= 1024 else list(map(str, range(n)))
        return _Node(labels, list(value), True, None)
    return _Node([], [], isinstance(value, list), value)


def _child(node: _Node, j: int) -> _Node:
    kid = node.kids[j]
    if type(kid) is _Node:
        return kid
    kid = node.kids[j] = _explode(kid)
    return kid


def _index(label: str, size: int) -> int:
    """Position of the edge `label` in an untouched array of `size` items, or -1."""
    if label.isascii() and label.isdigit() and (label == "0" or label[0] != "0"):
        i = int(label)
        if i < size:
            return i
    return -1


def _can_match(kid: Any, label: str) -> bool:
    """False when `kid` is a raw value with no edge `label` (so descending into it is a no-op)."""
    if type(kid) is _Node:
        return True
    if isinstance(kid, dict):
        return bool(kid) and (label == WILDCARD or label in kid)
    if isinstance(kid, list):
        return bool(kid) and (label == WILDCARD or _index(label, len(kid)) >= 0)
    return False


def _find(node: _Node, label: str) -> int:
    """Index of the first edge labelled `label` (Go loops `range n.edges` and stops there)."""
    try:
        return node.labels.index(label)
    except ValueError:
        return -1


def _expand(top: Any) -> Any:
    """`node.expand`: leaves give their value, collections a list, other nodes a map.

    Iterative, because `append` can merge documents into nodes nested past the recursion limit.
    """
    if type(top) is not _Node:
        return top
    box: list[Any] = [None]
    stack: list[tuple[_Node, Any, Any]] = [(top, box, 0)]
    while stack:
        node, into, key = stack.pop()
        if not node.labels:
            into[key] = node.value
            continue
        out: Any = list(node.kids) if node.coll else dict(zip(node.labels, node.kids, strict=True))
        into[key] = out  # a dict keeps the later of duplicate labels, as Go's map does
        items = enumerate(out) if node.coll else out.items()
        stack.extend((kid, out, k) for k, kid in items if type(kid) is _Node)
    return box[0]


def _get(x: Any, ks: Path, i: int = 0) -> Any:
    """`node.Get`: the expanded value at `ks`; a wildcard gives a list of every child's result."""
    for d in range(i, len(ks)):
        node = x if type(x) is _Node else _explode(x)  # a throwaway copy: reads mutate nothing
        if not node.labels:
            return None
        if ks[d] == WILDCARD:
            return [_get(k, ks, d + 1) for k in node.kids]
        j = _find(node, ks[d])
        if j < 0:
            return None
        x = node.kids[j]
    return _expand(x)


def _del(node: _Node, ks: Path, i: int = 0) -> None:
    """`node.Del`: remove the first edge matching the last segment under every matched node."""
    if not node.labels:  # Go: a leaf has nothing to delete
        return
    label = ks[i]
    if i == len(ks) - 1:
        if label == WILDCARD:
            node.labels.clear()
            node.kids.clear()
        elif (j := _find(node, label)) >= 0:
            del node.labels[j], node.kids[j]
        return
    js = range(len(node.kids)) if label == WILDCARD else [_find(node, label)]
    ahead = ks[i + 1]
    for j in js:
        kid = node.kids[j]
        if j < 0 or not _can_match(kid, ahead):
            continue
        if i + 2 == len(ks) and type(kid) is not _Node:  # copy-on-write instead of exploding
            if ahead == WILDCARD or (isinstance(kid, dict) and len(kid) == 1):
                # A node left without edges (and without the Value only empty containers carry)
                # is what a raw null stands for, except that an array keeps its collection flag.
                node.kids[j] = _Node([], [], True, None) if isinstance(kid, list) else None
                continue
            if isinstance(kid, dict):  # an array needs a node: its labels keep their gaps
                node.kids[j] = kid = kid.copy()
                del kid[ahead]
                continue
        _del(_child(node, j), ks, i + 1)


def _flatten(node: _Node, value: Any) -> None:
    """`node.flatten` into an existing node: merges into same-labelled edges (used by append)."""
    stack = [(node, value)]
    while stack:
        n, v = stack.pop()
        n.coll = isinstance(v, list)
        if not (isinstance(v, dict | list) and v):
            n.value = v  # Go sets Value for scalars and empty containers, keeping any edges
            continue
        items = v.items() if isinstance(v, dict) else zip(map(str, range(len(v))), v, strict=True)
        for label, item in items:
            j = _find(n, label)
            if j < 0:
                n.labels.append(label)
                n.kids.append(item)
            elif n.kids[j] is not item:  # the same raw value merged into itself changes nothing
                stack.append((_child(n, j), item))


def _append(root: _Node, src: Path, dst: Path) -> None:
    """`Tree.Append`: when both paths give lists, set dst to dst + src (via `Add`), delete src."""
    tail = _get(root, src)
    head = _get(root, dst)
    if not (isinstance(tail, list) and isinstance(head, list)):
        return
    node = root
    for label in dst:  # `node.Add`: walk first matches, creating plain nodes where missing
        j = _find(node, label)
        if j < 0:
            node.labels.append(label)
            node.kids.append(_Node([], [], False, None))
            j = len(node.kids) - 1
        node = _child(node, j)
    _flatten(node, head + tail)
    _del(root, src)


def _go_append(path: GoSlice, label: str) -> GoSlice:
    """Go's `append` on a []string: writes in place while there is capacity, else doubles it."""
    array, length = path
    if length < len(array):
        array[length] = label
        return array, length + 1
    grown = [*array[:length], label]
    grown.extend([""] * (max(1, 2 * len(array)) - len(grown)))  # Go's growth below cap 256
    return grown, length + 1


def _move(root: _Node, src: Path, dst: Path) -> None:
    """`Tree.Move`: relabel (same length), promote (shorter dst) or embed (longer dst)."""
    last, new = src[-1], dst[-1]
    track = len(src) > len(dst) and WILDCARD in dst[:-1]
    # A candidate is kept as (holder, index) so that a raw object can be renamed copy-on-write.
    cands: list[tuple[_Node, int, GoSlice]] = [(_Node([""], [root], False, None), 0, ([], 0))]
    for d, step in enumerate(src[:-1]):  # `collectMoveCandidates`
        ahead = src[d + 1]
        found: list[tuple[_Node, int, GoSlice]] = []
        for holder, i, path in cands:
            node = _child(holder, i)
            js = range(len(node.kids)) if step == WILDCARD else [_find(node, step)]
            for j in js:
                if j < 0:
                    continue
                sub = _go_append(path, node.labels[j]) if track else path
                if _can_match(node.kids[j], ahead):  # a leaf would match nothing further
                    found.append((node, j, sub))
        cands = found
    if len(src) == len(dst):  # relabel the first match; the other segments of dst are ignored
        for holder, i, _ in cands:
            kid = holder.kids[i]
            if isinstance(kid, dict) and new not in kid:  # raw (and holding `last`): copy it
                holder.kids[i] = {(new if k == last else k): v for k, v in kid.items()}
            elif (j := _find(node := _child(holder, i), last)) >= 0:
                node.labels[j] = new
        return
    moved: list[tuple[_Node, GoSlice, Any]] = []
    for holder, i, path in cands:
        node = _child(holder, i)
        j = _find(node, last)
        if j < 0:
            continue
        moved.append((node, path, node.kids[j]))
        del node.labels[j], node.kids[j]
    for node, path, kid in moved:
        parent = root
        if len(src) > len(dst):  # `promoteEdges`: attach at the deepest node found from the root
            for i, seg in enumerate(dst[:-1]):
                j = _find(parent, path[0][i] if seg == WILDCARD else seg)
                if j < 0:
                    break
                parent = _child(parent, j)
        else:  # `embeddingEdges`: under the source parent, creating missing plain nodes
            parent = node
            for seg in dst[len(src) - 1 : -1]:
                j = _find(parent, seg)
                if j < 0:
                    parent.labels.append(seg)
                    parent.kids.append(_Node([], [], False, None))
                    j = len(parent.kids) - 1
                parent = _child(parent, j)
        parent.labels.append(new)
        parent.kids.append(kid)


def _del_op(root: _Node, path: Path, _unused: Path) -> None:
    _del(root, path)


Op = tuple[Callable[[_Node, Path, Path], None], Path, Path]


def compile_flatmap(
    operations: Sequence[tuple[str, Sequence[str]]],
) -> Callable[[Data], Data] | None:
    """Compile `flatmap_filter` operations into a function over decoded JSON data.

    Args are split on `.` (lura `newFlatmapFormatter`). `del` takes every arg as a path; `move`
    and `append` use the first two and are dropped with fewer (KrakenD panics on each request;
    the config validator rejects them). Unknown types and argument-less `del` are kept as no-ops:
    lura still lets such a list replace allow/deny/mapping.

    Args:
        operations: `(type, args)` pairs in config order.

    Returns:
        None when no operation is left, else a function taking the data (never mutated) and
        returning the new data: a dict, or None when the root was emptied or was not an object
        (lura's `Get([]).(map[string]interface{})` cast).
    """
    ops: list[Op] = []
    kept = False
    for kind, args in operations:
        paths = [arg.split(".") for arg in args]
        if kind == "del":
            ops.extend((_del_op, path, path) for path in paths)
        elif kind in ("move", "append"):
            if len(paths) < 2:
                continue
            ops.append((_move if kind == "move" else _append, paths[0], paths[1]))
        kept = True
    if not kept:
        return None

    def apply(data: Data) -> Data:
        if not isinstance(data, dict):
            return None
        if not ops:  # only no-op items: the tree round trip is the identity
            return data
        root = _explode(data)
        try:
            for run, a, b in ops:
                run(root, a, b)
            out = _expand(root)
        except RecursionError:  # only for config paths of ~1,000 segments: keep the input
            return data
        return out if isinstance(out, dict) else None

    return apply


class EndpointFlatmap:
    """Endpoint-level `flatmap_filter`: applied to a merge that returned no error (lura)."""

    __slots__ = ("_flatmap", "_next")

    def __init__(self, next_proxy: ProxyFunction, flatmap: Callable[[Any], Any]) -> None:
        self._next = next_proxy
        self._flatmap = flatmap

    async def __call__(self, request: Request) -> Response:
        response = await self._next(request)
        if response.error is None:
            response.data = self._flatmap(response.data)
        return response
