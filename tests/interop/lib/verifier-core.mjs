/*
 * @digitalcredentials/verifier-core, the verifier of the DCC / LearnCard wallets, run unmodified.
 *
 * It builds its own document loader at import time (npm context packages, did:key + did:web
 * drivers, remote contexts fetched over HTTPS) and takes no loader or date as input, so the
 * harness feeds it through the offline `fetch` (see offline-web.mjs) and a frozen clock.
 * Issuer registries are fetched by URL too: they are served from the request's documents when
 * the request lists some, otherwise none is consulted.
 */
import {verifyCredential} from '@digitalcredentials/verifier-core';

function step(log, id) {
  return (log ?? []).find(entry => entry.id === id);
}

function plainError(error) {
  // fatal errors carry a `stackTrace` (sometimes an Error object): keep what a person reads
  const {name, message} = error ?? {};
  return {name: name ?? 'error', message: message ?? String(error)};
}

export async function verifyWithVerifierCore({credential, registries = []}) {
  const result = await verifyCredential({credential, knownDIDRegistries: registries});
  const errors = (result.errors ?? []).map(plainError);
  const log = result.log ?? [];
  const signature = step(log, 'valid_signature');
  const expiration = step(log, 'expiration');
  const revocation = step(log, 'revocation_status');
  const registered = step(log, 'registered_issuer');
  const statuses = log.filter(entry => entry.id.endsWith('_status')).map(entry => ({
    purpose: entry.id.slice(0, -'_status'.length),
    // verifier-core logs `valid: !bit`; an unreadable list gives `error` and no `valid`
    value: 'valid' in entry ? !entry.valid : null,
    ...(entry.error ? {error: entry.error} : {})
  }));
  return {
    verified: errors.length === 0 && signature?.valid === true,
    revoked: revocation && 'valid' in revocation ? !revocation.valid : null,
    expired: expiration && 'valid' in expiration ? !expiration.valid : null,
    // registry membership says nothing about the signature: kept apart on purpose
    registeredIssuer: registered ? registered.valid === true : null,
    statuses,
    log,
    additionalInformation: result.additionalInformation ?? [],
    errors
  };
}
