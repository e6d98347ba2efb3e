#!/usr/bin/env node
/*
 * Time Digital Bazaar's eddsa-rdfc-2022 signer on many credentials in one Node process, with
 * the same function tests/interop/sign.mjs calls (`signWithDigitalBazaar`, offline web).
 *
 *   node bench/js_sign.mjs < request.json > result.json
 *
 * request: {"credentials": [{...}], "seed": "<32 bytes hex>", "verificationMethod": "...",
 *           "controller": "...", "created": "<ISO date>", "pinned": {URL: JSON}}
 * result:  {"count": n, "ms": total milliseconds after the first (warm-up) credential,
 *           "first": the first signed credential (the caller checks it verifies)}
 */
import '../tests/interop/lib/quiet-console.mjs';
import {OfflineWeb, installOfflineFetch, useWeb} from '../tests/interop/lib/offline-web.mjs';

installOfflineFetch();
const {signWithDigitalBazaar} = await import('../tests/interop/lib/digital-bazaar.mjs');

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const web = new OfflineWeb({documents: {}, pinned: request.pinned ?? {}});
useWeb(web);
const {credentials, ...options} = request;

const sign = credential => signWithDigitalBazaar({...options, credential, web});
const first = (await sign(credentials[0])).credential;  // warm-up: contexts, JIT
const start = process.hrtime.bigint();
for(const credential of credentials.slice(1)) {
  await sign(credential);
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(`${JSON.stringify({count: credentials.length - 1, ms, first})}\n`);
