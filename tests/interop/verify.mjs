#!/usr/bin/env node
/*
 * Verify credentials with third-party JavaScript verifiers, offline.
 *
 *   node tests/interop/verify.mjs < request.json > result.json
 *
 * One request:  {"credential": {...}|null, "jwt": "eyJ..."|null,
 *                "documents": {"<URL or DID>": <JSON>}, "now": "<ISO date>"|null,
 *                "registries": [<verifier-core knownDIDRegistries entry>], "pinned": {URL: JSON}}
 * -> {"digitalBazaar": {...}|null, "verifierCore": {...}|null, "jose": {...}|null}
 *
 * A batch:      {"requests": [<request>, ...], "pinned": {URL: JSON}}
 * -> {"results": [<result>, ...]}  (same order)
 *
 * See README.md in this folder for every field.
 */
import './lib/quiet-console.mjs';
import {Worker} from 'node:worker_threads';
import {OfflineWeb} from './lib/offline-web.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Split a batch into groups that may share one module graph. The libraries cache what they
 * resolved (verifier-core's DID resolver, jsonld's context cache), so a request joins the
 * current group only if it serves every document the group served, unchanged: a changed or a
 * withdrawn document could otherwise still be answered from a cache.
 */
function groupsWithoutConflicts(requests) {
  const groups = [];
  let current = null;
  for(const [position, request] of requests.entries()) {
    const served = new OfflineWeb({documents: request.documents ?? {}}).fingerprint();
    const compatible = current && [...current.served].every(([key, content]) =>
      served.get(key) === content);
    if(!compatible) {
      current = {positions: [], requests: [], served: new Map()};
      groups.push(current);
    }
    current.positions.push(position);
    current.requests.push(request);
    for(const [key, content] of served) {
      current.served.set(key, content);
    }
  }
  return groups;
}

function runGroup(group, pinned) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./lib/batch-worker.mjs', import.meta.url), {
      workerData: {requests: group.requests, pinned}
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', code => {
      if(code !== 0) {
        reject(new Error(`batch worker exited with code ${code}`));
      }
    });
  });
}

async function main() {
  const input = await readStdin();
  let output;
  if(Array.isArray(input.requests)) {
    const results = new Array(input.requests.length);
    for(const group of groupsWithoutConflicts(input.requests)) {
      const groupResults = await runGroup(group, input.pinned ?? {});
      group.positions.forEach((position, i) => {
        results[position] = groupResults[i];
      });
    }
    output = {results};
  } else {
    const {runRequest} = await import('./lib/run-request.mjs');
    output = await runRequest(input, {pinned: input.pinned ?? {}});
  }
  process.stdout.write(JSON.stringify(output));
  process.stdout.write('\n');
}

await main();
