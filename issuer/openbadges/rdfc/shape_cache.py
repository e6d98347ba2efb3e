"""The shape cache: canonical N-Quads fast for documents of a known shape.

Why a shape cache (written here because no library offers it): expanding JSON-LD is the costly
step (context processing, term selection) and it gives the same RDF *shape* for every credential of
one badge: only the literal values and identifiers change. So a document is split into its
*skeleton* (keys, types, array lengths, numbers, every value that can change the structure) and its
*leaves* (the other strings). The skeleton is expanded once with placeholder strings; the quads
that came out are kept as a template, and each later document of that shape only substitutes its
own leaves into the template before RDFC-1.0 runs (`issuer.openbadges.rdfc.templates`). A leaf
whose value could expand differently from its placeholder (an identifier that is not an absolute
IRI, a blank node label, a term in an `@vocab` position such as `proofPurpose`) is moved into the
skeleton, so the shortcut never changes the result: `tests/test_canonical.py` compares it with the
full path on every sample, and `tests/test_canonical_differential.py` with the full path, pyld
and pyoxigraph on generated documents.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from issuer.errors import SigningRefused
from issuer.openbadges.jsonld_safety import find_dropped_members
from issuer.openbadges.rdfc.errors import CanonicalizationError, refusing_odd_input
from issuer.openbadges.rdfc.leaf_safety import is_safe_iri
from issuer.openbadges.rdfc.placeholders import UnsafeTemplate
from issuer.openbadges.rdfc.refused_characters import REFUSED_IN_SIGNED_TEXT
from issuer.openbadges.rdfc.templates import (
    Template,
    build_template,
    canonical_text,
    instantiate,
    skeleton,
)
from issuer.openbadges.rdfc.undefined_terms import find_undefined_terms
from issuer.openbadges.safe_mode.dropped import DroppedMember, ExpansionFailed

_TEMPLATE_CACHE_SIZE = 256


class ShapeCache:
    """Bounded LRU of RDF templates keyed by document skeleton. Thread-safe.

    `signing_check` refuses what may not be signed (`issuer.openbadges.canonical.assert_signable`);
    `signable_canonical_form` runs it once per shape, and again on a document whose leaves hold a
    refused character.
    """

    def __init__(self, signing_check: Callable[[dict[str, Any]], None],
                 size: int = _TEMPLATE_CACHE_SIZE) -> None:
        self._signing_check = signing_check
        self._size = size
        self._templates: OrderedDict[Any, Template] = OrderedDict()
        # raw skeleton -> leaves that must stay fixed for that shape (learnt once)
        self._fixed: OrderedDict[Any, frozenset[int]] = OrderedDict()
        self._undefined: OrderedDict[Any, tuple[list[str], list[DroppedMember]]] = \
            OrderedDict()
        self._signable: OrderedDict[Any, tuple[SigningRefused, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()
            self._fixed.clear()
            self._undefined.clear()
            self._signable.clear()

    @refusing_odd_input
    def quads(self, document: Any) -> list[ox.Quad]:
        template, leaves, _ = self._resolve(document)
        return list(instantiate(template, leaves))

    @refusing_odd_input
    def undefined_terms(self, document: dict[str, Any]) -> list[str]:
        """`find_undefined_terms`, computed once per shape: which keys and types are defined
        depends only on the skeleton, and every leaf that is not a safe absolute IRI in an IRI
        position is part of the skeleton key."""
        return list(self._json_ld_safety(document)[0])

    def dropped_members(self, document: dict[str, Any]) -> list[DroppedMember]:
        """`jsonld_safety.find_dropped_members` (JSON-LD safe mode), once per shape, for the
        same reason as `undefined_terms`: what expansion drops depends on keys, structural
        values and the leaves in IRI positions, all in the key."""
        return list(self._json_ld_safety(document)[1])

    def _json_ld_safety(self, document: dict[str, Any]) -> tuple[list[str], list[DroppedMember]]:
        try:
            _, _, key = self._resolve(document)
        except Exception:
            # Not canonicalisable: still name what safe mode drops, if anything (else re-raise)
            try:
                dropped = find_dropped_members(document)
            except ExpansionFailed:
                dropped = []
            if dropped:
                return [], dropped
            raise
        with self._lock:
            known = self._undefined.get(key)
        if known is None:
            try:
                dropped = find_dropped_members(document)
            except ExpansionFailed as error:
                raise CanonicalizationError(str(error)) from error
            try:
                undefined = find_undefined_terms(document)
            except CanonicalizationError:
                raise
            except Exception as error:  # pyld on input it does not expect: our refusal
                raise CanonicalizationError(f"JSON-LD error: {type(error).__name__}") from error
            known = (undefined, dropped)
            with self._lock:
                self._undefined[key] = known
                self._trim(self._undefined)
        return known

    @refusing_odd_input
    def canonical_form(self, document: Any) -> str:
        """RDFC-1.0 canonical N-Quads through the shape template, written as text directly."""
        template, leaves, _ = self._resolve(document)
        return canonical_text(template, leaves)

    @refusing_odd_input
    def signable_canonical_form(self, document: dict[str, Any]) -> str:
        """`signing_check` and `canonical_form` with one pass over the document."""
        try:
            template, leaves, key = self._resolve(document)
        except Exception:
            self._signing_check(document)  # names what JSON-LD safe mode drops, if that is the cause
            raise
        controls = [leaf for leaf in leaves if REFUSED_IN_SIGNED_TEXT.search(leaf)]
        if controls:
            self._signing_check(document)  # raises with the JSON paths of the offending strings
        with self._lock:
            problems = self._signable.get(key)
        if problems is None:
            # keys, types and every structural value are in the key: checked once per shape
            try:
                self._signing_check(document)
                problems = ()
            except SigningRefused as refused:
                problems = (refused,)
            with self._lock:
                self._signable[key] = problems
                self._trim(self._signable)
        if problems:
            raise problems[0]
        return canonical_text(template, leaves)

    def contains(self, document: Any) -> bool:
        """Whether this document's shape is already templated (nothing is built): its cost is
        then known and small, so a verifier may canonicalise it without the sandbox."""
        raw_key, leaves = skeleton(document, frozenset())
        with self._lock:
            fixed = self._fixed.get(raw_key)
        if fixed is None:
            return False
        key, _ = skeleton(document, fixed)
        with self._lock:
            template = self._templates.get(key)
        if template is None:
            return False
        unsafe = {leaf for leaf in template.iri_leaves
                  if not is_safe_iri(leaves[leaf], template.inline_terms)}
        if not unsafe:
            return True
        key, _ = skeleton(document, fixed | unsafe)
        with self._lock:
            return key in self._templates

    def _resolve(self, document: Any) -> tuple[Template, list[str], Any]:
        raw_key, leaves = skeleton(document, frozenset())
        try:
            with self._lock:
                fixed = self._fixed.get(raw_key)
            if fixed is None:
                fixed = self._learn_fixed_leaves(document, raw_key)
            # Leaves in IRI positions must be safe absolute IRIs for this document, else fixed.
            template, key = self._template(document, fixed, raw_key)
            unsafe = {leaf for leaf in template.iri_leaves
                      if not is_safe_iri(leaves[leaf], template.inline_terms)}
            if unsafe:
                template, key = self._template(document, fixed | unsafe)
        except CanonicalizationError:
            # A refusal of the placeholder document may not be the document's own (a value
            # refused in a node the real document drops): expand the document itself, every
            # leaf fixed, which gives exactly the full path's outcome.
            template, key = self._template(document, frozenset(range(len(leaves))))
        return template, leaves, key

    def _learn_fixed_leaves(self, document: Any, raw_key: Any) -> frozenset[int]:
        fixed: frozenset[int] = frozenset()
        for _ in range(64):
            try:
                build_template(document, fixed)
                break
            except UnsafeTemplate as unsafe:
                fixed = fixed | frozenset(unsafe.leaves)
        else:  # pragma: no cover - only a pathological document gets here
            raise CanonicalizationError("document shape could not be templated")
        with self._lock:
            self._fixed[raw_key] = fixed
            self._trim(self._fixed)
        return fixed

    def _template(self, document: Any, fixed: frozenset[int],
                  raw_key: Any = None) -> tuple[Template, Any]:
        key = raw_key if raw_key is not None and not fixed else skeleton(document, fixed)[0]
        with self._lock:
            template = self._templates.get(key)
            if template is not None:
                self._templates.move_to_end(key)
                self.hits += 1
                return template, key
        template = build_template(document, fixed)
        with self._lock:
            self.misses += 1
            self._templates[key] = template
            self._trim(self._templates)
        return template, key

    def _trim(self, table: OrderedDict[Any, Any]) -> None:
        while len(table) > self._size:
            table.popitem(last=False)
