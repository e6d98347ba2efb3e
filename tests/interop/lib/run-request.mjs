/*
 * One request through every third-party verifier that applies to it.
 */
import {OfflineWeb, atTime, errorMessages, installOfflineFetch, useWeb} from './offline-web.mjs';

// installed before any verifier library is imported, so none can capture the real fetch
installOfflineFetch();

// imported on first use: a JWT-only request need not load the JSON-LD stacks (~0.3 s)
async function verifyWithDigitalBazaar(options) {
  return (await import('./digital-bazaar.mjs')).verifyWithDigitalBazaar(options);
}
async function verifyWithVerifierCore(options) {
  return (await import('./verifier-core.mjs')).verifyWithVerifierCore(options);
}
async function verifyWithJose(options) {
  return (await import('./jose-jwt.mjs')).verifyWithJose(options);
}

/** Run one verifier; a crash of the library (or of this harness) is a result, not an exit. */
async function section(web, run) {
  web.requested = [];
  web.unresolved = [];
  const started = performance.now();
  let report;
  try {
    report = await run();
  } catch(error) {
    report = {verified: false, error: `harness: ${errorMessages(error).join('; ')}`,
      crashed: true};
  }
  return {
    ...report,
    requested: [...new Set(web.requested)],
    unresolved: [...new Set(web.unresolved)],
    ms: Math.round(performance.now() - started)
  };
}

export async function runRequest(request, {pinned = {}} = {}) {
  const {credential = null, jwt = null, documents = {}, now = null, registries = []} = request;
  const web = new OfflineWeb({documents, pinned});
  useWeb(web);
  return atTime(now, async () => ({
    digitalBazaar: credential ?
      await section(web, () => verifyWithDigitalBazaar({credential, web, now})) : null,
    verifierCore: credential ?
      await section(web, () => verifyWithVerifierCore({credential, registries})) : null,
    jose: jwt ? await section(web, () => verifyWithJose({jwt, web, now})) : null
  }));
}
