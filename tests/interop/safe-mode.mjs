#!/usr/bin/env node
/*
 * JSON-LD safe mode as the wallets run it: jsonld.js `toRDF` with `safe: true` (what
 * Digital Bazaar's Data Integrity canonicalisation calls), offline.
 *
 *   node tests/interop/safe-mode.mjs < request.json > result.json
 *
 * Request: {"documents": [<JSON-LD>, ...], "pinned": {URL: JSON}}
 * -> {"results": [{"safe": true} | {"safe": false, "code": "<jsonld.js event code>"|null,
 *                  "error": "<name: message>"}, ...]}  (same order)
 *
 * `jsonld` is the copy @digitalbazaar/vc installs (package-lock.json pins it); no context is
 * fetched: a URL outside `pinned` is an error.
 */
import './lib/quiet-console.mjs';
import jsonld from 'jsonld';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const request = await readStdin();
const pinned = request.pinned ?? {};
const documentLoader = async url => {
  if(!(url in pinned)) {
    throw new Error(`not pinned: ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document: pinned[url]};
};
const results = [];
for(const document of request.documents) {
  try {
    await jsonld.toRDF(document, {safe: true, base: null, documentLoader});
    results.push({safe: true});
  } catch(error) {
    results.push({
      safe: false,
      code: error?.details?.event?.code ?? null,
      error: `${error?.name}: ${error?.message}`.slice(0, 300)
    });
  }
}
process.stdout.write(JSON.stringify({results}));
