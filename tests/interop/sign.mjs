#!/usr/bin/env node
/*
 * Sign a credential with Digital Bazaar's own stack (DataIntegrityProof, eddsa-rdfc-2022).
 * A test helper: a credential signed here and accepted by verify.mjs proves the harness's
 * did:web / did:key paths work independently of our Python signing code.
 *
 *   node tests/interop/sign.mjs < request.json > signed.json
 *
 * request: {"credential": {...}, "seed": "<32 bytes hex, Ed25519>",
 *           "verificationMethod": "did:web:...#key-1", "controller": "did:web:...",
 *           "created": "<ISO date>"|null, "documents": {...}, "pinned": {URL: JSON}}
 * result:  {"credential": {... with proof}, "publicKeyMultibase": "z6Mk..."}
 */
import './lib/quiet-console.mjs';
import {OfflineWeb, installOfflineFetch, useWeb} from './lib/offline-web.mjs';

installOfflineFetch();
const {signWithDigitalBazaar} = await import('./lib/digital-bazaar.mjs');

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const web = new OfflineWeb({documents: request.documents ?? {}, pinned: request.pinned ?? {}});
useWeb(web);
const result = await signWithDigitalBazaar({...request, web});
process.stdout.write(`${JSON.stringify(result)}\n`);
