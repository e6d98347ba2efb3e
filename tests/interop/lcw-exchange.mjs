#!/usr/bin/env node
/*
 * A wallet acting as the Learner Credential Wallet (LCW) does when it receives a credential
 * through a VC-API exchange (its app/lib/exchanges.ts and interactionUrl.ts), built on the
 * libraries LCW's stack descends from: @digitalbazaar/vc (createPresentation,
 * signPresentation), Ed25519Signature2020 with an Ed25519VerificationKey2020 key, and a
 * did:key DID from @digitalbazaar/did-method-key. Run against the live service over loopback.
 *
 *   node tests/interop/lcw-exchange.mjs < request.json > result.json
 *
 * request: {"invitation": "https://lcw.app/request?request=…" | "http://127.0.0.1:…?iuv=1",
 *           "mode": "lcw" | "eddsa" | "wrong-challenge" | "wrong-domain" | "other-key" |
 *                   "replay" | "unsigned",
 *           "seed": "<32 bytes hex>", "otherSeed": "<32 bytes hex>", "pinned": {URL: JSON}}
 * result:  {"holder": "did:key:…", "exchangeUrl": "…", "steps": [{"status", "body"}, …]}
 *
 * Only loopback addresses are fetched; JSON-LD contexts come from the npm context packages
 * and the pinned copies, never from the network.
 */
import './lib/quiet-console.mjs';
import * as vc from '@digitalbazaar/vc';
import * as didKey from '@digitalbazaar/did-method-key';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as dataIntegrityContexts} from '@digitalbazaar/data-integrity-context';

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const realFetch = globalThis.fetch;
async function loopbackFetch(url, init) {
  const {hostname} = new URL(url);
  if(!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    throw new Error(`lcw-exchange: refusing to fetch a non-loopback address: ${url}`);
  }
  return realFetch(url, init);
}

function documentLoader() {
  const loader = new JsonLdDocumentLoader();
  loader.addDocuments({documents: credentialsContexts});
  loader.addDocuments({documents: dataIntegrityContexts});
  for(const [url, document] of Object.entries(request.pinned ?? {})) {
    if(document && typeof document === 'object' && '@context' in document &&
      !credentialsContexts.has(url) && !dataIntegrityContexts.has(url)) {
      loader.addStatic(url, document);
    }
  }
  return loader.build();
}

/** The wallet's DID and signing suite, from a seed, as LCW makes its did:key. */
async function walletIdentity(seedHex, {eddsa = false} = {}) {
  const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
  if(eddsa) {
    const keyPair = await Ed25519Multikey.generate({seed});
    const driver = didKey.driver();
    driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
    const {didDocument} = await driver.fromKeyPair({verificationKeyPair: keyPair});
    keyPair.controller = didDocument.id;
    keyPair.id = didDocument.authentication[0].id ?? didDocument.authentication[0];
    const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022});
    return {did: didDocument.id, suite, version: 2.0};
  }
  const keyPair = await Ed25519VerificationKey2020.generate({seed});
  const driver = didKey.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});
  const {didDocument} = await driver.fromKeyPair({verificationKeyPair: keyPair});
  keyPair.controller = didDocument.id;
  keyPair.id = `${didDocument.id}#${keyPair.fingerprint()}`;
  // LCW's @digitalcredentials/vc writes VC data model 1.1 presentations.
  return {did: didDocument.id, suite: new Ed25519Signature2020({key: keyPair}), version: 1.0};
}

/** The exchange URL from an invitation, as LCW's Add screen dispatches it. */
async function exchangeUrlOf(invitation, steps) {
  const url = new URL(invitation);
  if(url.searchParams.has('request')) {
    // https://lcw.app/request?request=… or dccrequest://request?request=…
    const message = JSON.parse(url.searchParams.get('request'));
    return message.protocols.vcapi;
  }
  if(url.searchParams.has('iuv')) {
    const response = await loopbackFetch(invitation, {headers: {Accept: 'application/json'}});
    const body = await response.json();
    steps.push({status: response.status, body});
    if(!response.ok) {
      return null;
    }
    return body.protocols.vcapi;
  }
  throw new Error(`not an invitation LCW reads: ${invitation}`);
}

async function post(url, body, steps) {
  const response = await loopbackFetch(url, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body, null, 2)
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {unparsed: text.slice(0, 500)};
  }
  steps.push({status: response.status, body: parsed});
  return parsed;
}

const steps = [];
const mode = request.mode ?? 'lcw';
const loader = documentLoader();
const wallet = await walletIdentity(request.seed, {eddsa: mode === 'eddsa'});
const exchangeUrl = await exchangeUrlOf(request.invitation, steps);
let result = {holder: wallet.did, exchangeUrl, steps};
if(exchangeUrl) {
  // 1. POST {}: the issuer answers a verifiablePresentationRequest (DIDAuthentication).
  const answer = await post(exchangeUrl, {}, steps);
  const vpr = answer.verifiablePresentationRequest;
  if(vpr) {
    let {challenge, domain} = vpr;
    if(mode === 'wrong-challenge') {
      challenge = 'a-challenge-of-another-exchange';
    }
    if(mode === 'wrong-domain') {
      domain = 'wallet-phishing.example';
    }
    const presentation = vc.createPresentation({holder: wallet.did, version: wallet.version});
    let signed;
    if(mode === 'unsigned') {
      signed = presentation;
    } else if(mode === 'other-key') {
      // Signed by another did:key than the holder it names.
      const other = await walletIdentity(request.otherSeed);
      signed = await vc.signPresentation({presentation, suite: other.suite, challenge, domain,
        documentLoader: loader});
    } else {
      signed = await vc.signPresentation({presentation, suite: wallet.suite, challenge, domain,
        documentLoader: loader});
    }
    // 2. POST the DIDAuth presentation where `interact` says (LCW's handleVcApiExchangeComplete).
    const target = vpr.interact?.service?.[0]?.serviceEndpoint ?? exchangeUrl;
    await post(target, {verifiablePresentation: signed}, steps);
    if(mode === 'replay') {
      await post(target, {verifiablePresentation: signed}, steps);
    }
    result = {...result, presentation: signed};
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
