"""One safe-mode pass over a JSON-LD document: the JSON-LD 1.1 Expansion Algorithm's control
flow as jsonld.js writes it (`lib/expand.js`), with the JSON path in hand, recording each member
jsonld.js safe mode would refuse (see `issuer.openbadges.jsonld_safety` for the approach and why).
Context processing, term and IRI expansion are pyld's."""

from __future__ import annotations

import re
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdProcessor

from issuer.openbadges import contexts

# jsonld.js `util.js`: REGEX_KEYWORD, REGEX_BCP47; `url.js`: isAbsolute.
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
_BCP47 = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")
# Every keyword jsonld.js knows (framing ones included: they are keywords, not terms, there).
_KEYWORDS = frozenset({
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit",
    "@first", "@graph", "@id", "@import", "@included", "@index", "@json", "@language", "@list",
    "@nest", "@none", "@omitDefault", "@propagate", "@protected", "@preserve", "@requireAll",
    "@reverse", "@set", "@type", "@value", "@version", "@vocab"})
# Keywords whose member ends up in RDF (or shapes it) when found in a node or value object.
_SIGNED_KEYWORDS = frozenset({"@id", "@type", "@value", "@list", "@set", "@graph", "@included",
                              "@reverse", "@nest", "@context"})

# Resolving a relative reference against this base marks it: jsonld.js keeps it relative and
# emits an event; pyld would resolve it against `http://example.org/base/` and hide it.
_RELATIVE_BASE = "https://relative-reference.invalid/x-safe-mode/"

_MAX_COLLECTED = 500  # a hostile document may drop thousands: enough to say it, no more


def _pointer(path: str, key: str | int) -> str:
    text = str(key).replace("~", "~0").replace("/", "~1")
    return f"{path}/{text}"


def _is_absolute(value: Any) -> bool:
    return isinstance(value, str) and _ABSOLUTE.match(value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class SafeModeWalk:
    """One safe-mode pass: the expansion control flow of jsonld.js, events instead of output.

    `_expand` returns a summary of what expansion would produce: None (nothing), a frozenset of
    the expanded object's keys (node, value or list object), or a list of those for an array.
    """

    def __init__(self) -> None:
        self.processor = JsonLdProcessor()
        self.options: dict[str, Any] = {
            "documentLoader": contexts.document_loader, "base": "", "isFrame": False,
            "keepFreeFloatingNodes": False, "processingMode": "json-ld-1.1",
            # pyld's own cache of resolved contexts, shared with `jsonld.expand` / `to_rdf`
            "contextResolver": ContextResolver(jsonld._resolved_context_cache,
                                               contexts.document_loader)}
        self.found: dict[tuple[str, str], None] = {}

    # --- helpers over pyld's active context ---------------------------------------------------

    def emit(self, path: str, reason: str) -> None:
        if len(self.found) < _MAX_COLLECTED:
            self.found.setdefault((path, reason), None)

    def iri(self, ctx: Any, value: Any, *, vocab: bool = False, base: bool = False) -> Any:
        if value is None:
            return None
        return self.processor._expand_iri(ctx, value, vocab=vocab,
                                          base=_RELATIVE_BASE if base else None)

    @staticmethod
    def relative(expanded: Any) -> bool:
        return (not _is_absolute(expanded)) or expanded.startswith(_RELATIVE_BASE)

    @staticmethod
    def term(ctx: Any, key: Any, kind: str) -> Any:
        return JsonLdProcessor.get_context_value(ctx, key, kind)

    def container(self, ctx: Any, key: Any) -> list[Any]:
        containers: list[Any] = JsonLdProcessor.arrayify(self.term(ctx, key, "@container") or [])
        return containers

    def process_context(self, ctx: Any, local: Any, path: str, **flags: Any) -> Any:
        self.check_local_context(ctx, local, path)
        return self.processor._process_context(ctx, local, self.options, **flags)

    # --- context processing events (jsonld.js lib/context.js) ---------------------------------

    def check_local_context(self, ctx: Any, local: Any, path: str) -> None:
        """Safe-mode events of an embedded context (pinned URLs are the wallets' own)."""
        for index, entry in enumerate(_as_list(local)):
            here = _pointer(path, index) if isinstance(local, list) else path
            if not isinstance(entry, dict):
                continue
            if "@vocab" in entry and isinstance(entry["@vocab"], str):
                vocab = self.iri(ctx, entry["@vocab"], vocab=True, base=True)
                if self.relative(vocab):
                    self.emit(_pointer(here, "@vocab"), "relative @vocab reference")
            language = entry.get("@language")
            if isinstance(language, str) and not _BCP47.match(language):
                self.emit(_pointer(here, "@language"), "invalid @language value")
            for term, definition in entry.items():
                where = _pointer(here, term)
                if term not in _KEYWORDS and _KEYWORD_LIKE.match(term):
                    self.emit(where, "reserved term")
                    continue
                simple = isinstance(definition, str)  # "term": "iri" means {"@id": "iri"}
                if simple:
                    definition = {"@id": definition}
                if not isinstance(definition, dict):
                    continue
                for key, reason in (("@id", "reserved @id value"),
                                    ("@reverse", "reserved @reverse value")):
                    value = definition.get(key)
                    if isinstance(value, str) and value not in _KEYWORDS \
                            and _KEYWORD_LIKE.match(value):
                        self.emit(where if simple else _pointer(where, key), reason)
                if "@context" in definition:
                    self.check_local_context(ctx, definition["@context"],
                                             _pointer(where, "@context"))

    # --- expansion (jsonld.js lib/expand.js `api.expand`) -------------------------------------

    def expand(self, ctx: Any, prop: Any, element: Any, path: str, *, inside_list: bool = False,
               inside_index: bool = False, type_scoped: Any = None) -> Any:
        if element is None:
            return None
        if isinstance(element, list):
            inside_list = inside_list or "@list" in self.container(ctx, prop)
            results: list[Any] = []
            for index, item in enumerate(element):
                result = self.expand(ctx, prop, item, _pointer(path, index),
                                     inside_list=inside_list, inside_index=inside_index,
                                     type_scoped=type_scoped)
                if inside_list and isinstance(result, list):
                    result = frozenset({"@list"})
                if isinstance(result, list):
                    results.extend(result)
                elif result is not None:
                    results.append(result)
            return results
        if not isinstance(element, dict):
            if not inside_list and (prop is None or self.iri(ctx, prop, vocab=True) == "@graph"):
                self.emit(path, "free-floating scalar")
                return None
            return self.expand_value(ctx, prop, element, path)
        return self.expand_node(ctx, prop, element, path, inside_list, inside_index, type_scoped)

    def expand_node(self, ctx: Any, prop: Any, element: dict[str, Any], path: str,
                    inside_list: bool, inside_index: bool, type_scoped: Any) -> Any:
        expanded_prop = self.iri(ctx, prop, vocab=True)
        property_scoped = self.term(ctx, prop, "@context")
        type_scoped = type_scoped or (ctx if ctx.get("previousContext") else None)
        keys = sorted(element)
        must_revert = not inside_index
        if must_revert and type_scoped and len(keys) <= 2 and "@context" not in element:
            for key in keys:
                expanded = self.iri(type_scoped, key, vocab=True)
                if expanded == "@value":
                    must_revert = False
                    ctx = type_scoped
                    break
                if expanded == "@id" and len(keys) == 1:
                    must_revert = False
                    break
        if must_revert:
            ctx = self.processor._revert_to_previous_context(ctx)
        if property_scoped is not None:
            ctx = self.process_context(ctx, property_scoped, _pointer(path, "@context"),
                                       propagate=True, override_protected=True)
        if "@context" in element:
            ctx = self.process_context(ctx, element["@context"], _pointer(path, "@context"))
        type_scoped = ctx
        type_key = None
        for key in keys:
            if self.iri(ctx, key, vocab=True) != "@type":
                continue
            type_key = type_key or key
            types = element[key]
            for type_ in sorted(t for t in _as_list(types) if isinstance(t, str)):
                scoped = self.term(type_scoped, type_, "@context")
                if scoped is not None:
                    ctx = self.processor._process_context(ctx, scoped, self.options,
                                                          propagate=False)
        out: set[str] = set()
        self.expand_object(ctx, prop, expanded_prop, element, path, out, inside_list,
                           type_key, type_scoped)
        result: frozenset[str] | None = frozenset(out)
        assert result is not None
        if "@value" in out:
            if element_value_is_null(element, ctx, self) and not self.is_json(ctx, element,
                                                                              type_key):
                self.emit(path, "null @value value")
                result = None
        elif "@set" in out:
            result = frozenset({"@set"})
        elif len(out) == 1 and "@language" in out:
            self.emit(path, "object with only @language")
            result = None
        if result is not None and not inside_list and (
                prop is None or expanded_prop == "@graph"
                or "@graph" in self.container(ctx, prop)):
            result = self.drop_unsafe_object(result, path)
        return result

    def is_json(self, ctx: Any, element: dict[str, Any], type_key: Any) -> bool:
        if type_key is None or type_key not in element:
            return False
        value = element[type_key]
        first = value[0] if isinstance(value, list) and value else value
        return isinstance(first, str) and self.iri(ctx, first, vocab=True) == "@json"

    def drop_unsafe_object(self, keys: frozenset[str], path: str) -> frozenset[str] | None:
        if not keys:
            self.emit(path, "empty object")
        elif "@value" in keys:
            self.emit(path, "object with only @value")
        elif "@list" in keys:
            self.emit(path, "object with only @list")
        elif keys == {"@id"}:
            self.emit(path, "object with only @id")
        else:
            return keys
        return None

    def expand_object(self, ctx: Any, prop: Any, expanded_prop: Any, element: dict[str, Any],
                      path: str, out: set[str], inside_list: bool, type_key: Any,
                      type_scoped: Any) -> None:
        nests: list[str] = []
        value_object = any(self.iri(ctx, key, vocab=True) == "@value" for key in element)
        for key in sorted(element):
            value = element[key]
            where = _pointer(path, key)
            if key == "@context":
                continue
            expanded = self.iri(ctx, key, vocab=True)
            if expanded is None or not (_is_absolute(expanded) or expanded in _KEYWORDS):
                self.emit(where, "invalid property")
                continue
            if isinstance(expanded, str) and expanded.startswith("_:"):
                # jsonld.js toRdf: a blank node predicate is dropped
                self.emit(where, "blank node predicate")
            if expanded == "@id":
                for index, item in enumerate(_as_list(value)):
                    if not isinstance(item, str):
                        continue
                    here = _pointer(where, index) if isinstance(value, list) else where
                    resolved = self.iri(ctx, item, base=True)
                    if resolved is None:
                        self.emit(here, "reserved @id value")
                    elif self.relative(resolved):
                        self.emit(here, "relative @id reference")
                out.add("@id")
                continue
            if expanded == "@type":
                for index, item in enumerate(_as_list(value)):
                    if not isinstance(item, str):
                        continue
                    here = _pointer(where, index) if isinstance(value, list) else where
                    resolved = self.iri(type_scoped, item, vocab=True, base=True)
                    if resolved != "@json" and (resolved is None or self.relative(resolved)):
                        self.emit(here, "relative @type reference")
                out.add("@type")
                continue
            if expanded == "@included":
                included = self.expand(ctx, prop, value, where)
                for item in included if isinstance(included, list) else [included]:
                    # jsonld.js refuses (a syntax error) what is not a node object here
                    if isinstance(item, frozenset) and (
                            item & {"@value", "@list", "@set"} or item == {"@id"}):
                        self.emit(where, "invalid @included value")
                out.add("@included")
                continue
            if expanded == "@value":
                out.add("@value")
                continue
            if expanded == "@language":
                if value is None:
                    continue
                for language in _as_list(value):
                    if isinstance(language, str) and not _BCP47.match(language):
                        self.emit(where, "invalid @language value")
                if not value_object:
                    self.emit(where, "ignored keyword")
                out.add("@language")
                continue
            if expanded == "@direction":
                self.emit(where, "rdfDirection not set" if value_object else "ignored keyword")
                out.add("@direction")
                continue
            if expanded == "@index":
                self.emit(where, "ignored keyword")
                out.add("@index")
                continue
            if expanded == "@reverse":
                if isinstance(value, dict):
                    self.expand(ctx, "@reverse", value, where)
                out.add("@reverse")
                continue
            if expanded == "@nest":
                nests.append(key)
                continue
            if expanded in _KEYWORDS and expanded not in _SIGNED_KEYWORDS:
                self.emit(where, "ignored keyword")
                out.add(expanded)
                continue
            result = self.expand_member(ctx, prop, expanded_prop, key, expanded, value, where)
            if result is None and expanded != "@value":
                continue
            out.add(expanded)
        for key in nests:
            for index, nested in enumerate(_as_list(element[key])):
                if isinstance(nested, dict):
                    here = _pointer(_pointer(path, key), index) \
                        if isinstance(element[key], list) else _pointer(path, key)
                    self.expand_object(ctx, prop, expanded_prop, nested, here, out, inside_list,
                                       type_key, type_scoped)

    def expand_member(self, ctx: Any, prop: Any, expanded_prop: Any, key: str, expanded: str,
                      value: Any, where: str) -> Any:
        term_ctx = ctx
        scoped = self.term(ctx, key, "@context")
        if scoped is not None:
            term_ctx = self.process_context(ctx, scoped, where, propagate=True,
                                            override_protected=True)
        container = self.container(ctx, key)
        result: Any
        if "@language" in container and isinstance(value, dict):
            direction = self.term(term_ctx, key, "@direction")
            result = self.expand_language_map(term_ctx, value, direction, where)
        elif "@index" in container and isinstance(value, dict):
            index_key = self.term(term_ctx, key, "@index") or "@index"
            result = self.expand_index_map(term_ctx, key, value, where, index_key)
        elif "@id" in container and isinstance(value, dict):
            result = self.expand_index_map(term_ctx, key, value, where, "@id")
        elif "@type" in container and isinstance(value, dict):
            result = self.expand_index_map(self.processor._revert_to_previous_context(term_ctx),
                                           key, value, where, "@type")
        elif expanded in ("@list", "@set"):
            next_prop = None if expanded == "@list" and expanded_prop == "@graph" else prop
            result = self.expand(term_ctx, next_prop, value, where,
                                 inside_list=expanded == "@list")
        elif self.term(ctx, key, "@type") == "@json":
            result = frozenset({"@value", "@type"})
        else:
            result = self.expand(term_ctx, key, value, where)
        if result is None:
            return None
        if "@graph" in container and "@id" not in container and "@index" not in container:
            items = result if isinstance(result, list) else [result]
            kept = [item for index, item in enumerate(items)
                    if self.drop_unsafe_object(item, _pointer(where, index)
                                               if isinstance(value, list) else where)
                    is not None]
            return kept or None
        return result

    def expand_value(self, ctx: Any, prop: Any, value: Any, path: str) -> Any:
        """jsonld.js `_expandValue`, and the RDF events its result would raise."""
        expanded_prop = self.iri(ctx, prop, vocab=True)
        kind = self.term(ctx, prop, "@type")
        if isinstance(value, str) and (kind == "@id" or expanded_prop == "@graph"):
            resolved = self.iri(ctx, value, base=True)
            if resolved is None and _KEYWORD_LIKE.match(value):
                self.emit(path, "reserved @id value")
            elif resolved is None or self.relative(resolved):
                self.emit(path, "relative object reference")
            return frozenset({"@id"})
        if isinstance(value, str) and kind == "@vocab":
            resolved = self.iri(ctx, value, vocab=True, base=True)
            if resolved is None or self.relative(resolved):
                self.emit(path, "relative object reference")
            return frozenset({"@id"})
        if expanded_prop in _KEYWORDS:
            return frozenset({"@value"})
        if isinstance(value, str) and kind in (None, "@id", "@vocab", "@none") \
                and self.term(ctx, prop, "@direction") is not None:
            self.emit(path, "rdfDirection not set")
        return frozenset({"@value"})

    def expand_language_map(self, ctx: Any, value: dict[str, Any], direction: Any,
                            path: str) -> Any:
        results: list[Any] = []
        for language in sorted(value):
            where = _pointer(path, language)
            items = [item for item in _as_list(value[language]) if item is not None]
            if not items:
                continue
            if self.iri(ctx, language, vocab=True) != "@none" and not _BCP47.match(language):
                self.emit(where, "invalid @language value")
            if direction:
                self.emit(where, "rdfDirection not set")
            results.extend(frozenset({"@value"}) for _ in items)
        return results

    def expand_index_map(self, ctx: Any, prop: str, value: dict[str, Any], path: str,
                         index_key: str) -> Any:
        results: list[Any] = []
        for key in sorted(value):
            where = _pointer(path, key)
            item_ctx = ctx
            if index_key == "@type":
                scoped = self.term(ctx, key, "@context")
                if scoped is not None:
                    item_ctx = self.process_context(ctx, scoped, where, propagate=False)
            expanded = self.expand(item_ctx, prop, _as_list(value[key]), where, inside_index=True)
            if index_key == "@id":
                resolved = self.iri(ctx, key, base=True)
                if key != "@none" and (resolved is None or self.relative(resolved)):
                    # the node's own triples and the triple pointing at it
                    self.emit(where, "relative subject reference")
                    self.emit(where, "relative object reference")
            elif index_key == "@type":
                resolved = self.iri(ctx, key, vocab=True)
                if resolved != "@none" and (resolved is None or self.relative(resolved)):
                    self.emit(where, "relative object reference")
            elif index_key == "@index" and key != "@none" \
                    and self.iri(ctx, key, vocab=True) != "@none":
                self.emit(where, "ignored keyword")  # an @index: never in the RDF
            results.extend(expanded or [])
        return results


def element_value_is_null(element: dict[str, Any], ctx: Any, walk: SafeModeWalk) -> bool:
    return any(walk.iri(ctx, key, vocab=True) == "@value" and value is None
               for key, value in element.items())
