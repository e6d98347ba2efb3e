"""Characters the signer refuses in any string, with the reason for each (VERIFICATION.md R8)."""

from __future__ import annotations

import re

# C0 controls but LF and CR, and DEL (VERIFICATION.md R8). Tab is refused too: RDFC-1.0, rdf-canonize 4
# and 5, pyld and pyoxigraph write `\t`, but rdf-canonize 3 (still in some wallets' dependency
# trees) writes it raw, and no credential needs it.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")

# Characters the JSON-LD and N-Quads implementations write differently (see `NQUADS_ESCAPES`):
# U+FFFE and U+FFFF (noncharacters), raw in rdf-canonize and pyld, `\uFFFE` in pyoxigraph.
DIFFERENTLY_WRITTEN = re.compile("[\ufffe\uffff]")
# What the signer refuses in any string (checked leaf by leaf on a cached shape).
REFUSED_IN_SIGNED_TEXT = re.compile(f"{CONTROL_CHARACTERS.pattern}|{DIFFERENTLY_WRITTEN.pattern}")
