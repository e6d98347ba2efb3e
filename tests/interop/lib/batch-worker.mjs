/*
 * Runs a group of requests in its own module graph (a worker thread has fresh copies of every
 * library and so of their caches: verifier-core keeps a module-level DID resolver cache).
 */
import {parentPort, workerData} from 'node:worker_threads';
import './quiet-console.mjs';
import {runRequest} from './run-request.mjs';

const {requests, pinned} = workerData;
const results = [];
for(const request of requests) {
  results.push(await runRequest(request, {pinned}));
}
parentPort.postMessage(results);
