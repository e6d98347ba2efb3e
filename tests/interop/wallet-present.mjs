#!/usr/bin/env node
/*
 * A holder's wallet answering presentation requests, built like the Learner Credential Wallet
 * (its app/lib/exchanges.ts): Digital Bazaar's `@digitalbazaar/vc` createPresentation /
 * signPresentation, an `Ed25519Signature2020` suite over an `Ed25519VerificationKey2020` key,
 * a `did:key` holder from `@digitalbazaar/did-method-key`. It talks to the running service over
 * loopback, as a wallet talks to a verifier: the only network this harness ever uses.
 *
 *   node tests/interop/wallet-present.mjs < request.json > result.json
 *
 * request: {"scenarios": [<scenario>...], "pinned": {URL: JSON}}
 * scenario: {"name", "invitation": "https://lcw.app/request?request=…" | "<exchange>?iuv=1",
 *            "seed": "<32 bytes hex>", "holderSeed": "<hex>"|null (the DID put in `holder`,
 *            when it is not the signer's: a proof by another key),
 *            "credentials": [...], "suite": "Ed25519Signature2020" | "eddsa-rdfc-2022",
 *            "version": 2.0 | 1.0, "challenge": "<override>"|null, "domain": "<override>"|null,
 *            "replayTo": "<another invitation>"|null, "postTwice": bool}
 * result:  {"results": [{"name", "holder", "vprStatus", "vpr", "answerStatus", "answer",
 *            "againStatus", "again", "presentation"}]}
 *
 * A scenario follows LCW's exchange loop: the invitation gives the exchange URL (the `request`
 * parameter's `protocols.vcapi`, or the interaction URL's protocols), `POST {}` gives the
 * VerifiablePresentationRequest, the credentials matching its QueryByExample are put in a
 * presentation signed for its challenge and domain (DIDAuthentication), which is POSTed to the
 * request's `interact` service (else the exchange URL). When the request cannot be had (an
 * expired or used exchange), a presentation is still signed, with a made-up challenge, and sent:
 * the refusal of that answer is what is tested.
 */
import './lib/quiet-console.mjs';
import * as vc from '@digitalbazaar/vc';
import * as didKey from '@digitalbazaar/did-method-key';
import {Ed25519Signature2020, suiteContext as ed25519Context} from
  '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import {PACKAGED_CONTEXTS} from './lib/digital-bazaar.mjs';

function documentLoaderFor(pinned) {
  const loader = new JsonLdDocumentLoader();
  loader.addDocuments({documents: PACKAGED_CONTEXTS});
  loader.addDocuments({documents: ed25519Context.contexts});
  for(const [url, document] of Object.entries(pinned)) {
    if(!PACKAGED_CONTEXTS.has(url) && !ed25519Context.contexts.has(url) && document &&
      typeof document === 'object' && '@context' in document) {
      loader.addStatic(url, document);
    }
  }
  const keyDriver = didKey.driver();
  keyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});
  loader.setDidResolver(keyDriver);
  return loader.build();
}

async function walletKey(seedHex) {
  const keyPair = await Ed25519VerificationKey2020.generate({seed: Buffer.from(seedHex, 'hex')});
  const did = `did:key:${keyPair.fingerprint()}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.fingerprint()}`;
  return {did, keyPair};
}

async function suiteFor(kind, keyPair) {
  if(kind === 'eddsa-rdfc-2022') {
    const multikey = await Ed25519Multikey.from({
      id: keyPair.id, controller: keyPair.controller,
      publicKeyMultibase: keyPair.publicKeyMultibase,
      secretKeyMultibase: keyPair.privateKeyMultibase
    });
    return new DataIntegrityProof({signer: multikey.signer(), cryptosuite: eddsaRdfc2022});
  }
  return new Ed25519Signature2020({key: keyPair});
}

function exchangeFromLcwLink(invitation) {
  // LCW's deep link: the `request` parameter is JSON naming the VC-API exchange.
  const request = JSON.parse(new URL(invitation).searchParams.get('request'));
  return request.protocols.vcapi;
}

async function exchangeUrlOf(invitation) {
  if(invitation.startsWith('https://lcw.app/request')) {
    return exchangeFromLcwLink(invitation);
  }
  const response = await fetch(invitation, {headers: {accept: 'application/json'}});
  const body = await response.json();
  if(!response.ok) {
    throw new Error(`interaction URL answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.protocols.vcapi;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = {unreadable: text.slice(0, 300)};
  }
  return {status: response.status, body: json};
}

function matchesExample(example, credential) {
  // LCW's QueryByExample: every member of the example must match; an array by inclusion.
  return Object.entries(example).every(([key, value]) => {
    const found = credential[key];
    if(Array.isArray(value)) {
      return Array.isArray(found) && value.every(item => found.includes(item));
    }
    if(value && typeof value === 'object') {
      return found && typeof found === 'object' && matchesExample(value, found);
    }
    return found === value;
  });
}

async function runScenario(scenario, documentLoader) {
  const signer = await walletKey(scenario.seed);
  const holder = scenario.holderSeed ? (await walletKey(scenario.holderSeed)).did : signer.did;
  const result = {name: scenario.name, holder};
  const exchangeUrl = await exchangeUrlOf(scenario.invitation);
  const first = await post(exchangeUrl, {});
  result.vprStatus = first.status;
  result.vpr = first.body;
  const vpr = first.body?.verifiablePresentationRequest;
  let credentials = scenario.credentials;
  let challenge = 'no-request-was-given';
  let domain = new URL(exchangeUrl).host;
  let answerUrl = exchangeUrl;
  if(vpr) {
    const queries = [].concat(vpr.query);
    const examples = queries.filter(query => query.type === 'QueryByExample')
      .map(query => query.credentialQuery?.example).filter(Boolean);
    credentials = credentials.filter(
      credential => examples.some(example => matchesExample(example, credential)));
    ({challenge, domain} = vpr);
    answerUrl = vpr.interact?.service?.[0]?.serviceEndpoint ?? exchangeUrl;
  }
  const presentation = vc.createPresentation({
    holder, verifiableCredential: credentials.length ? credentials : undefined,
    version: scenario.version ?? 2.0
  });
  const signed = await vc.signPresentation({
    presentation, suite: await suiteFor(scenario.suite, signer.keyPair),
    challenge: scenario.challenge ?? challenge, domain: scenario.domain ?? domain,
    documentLoader
  });
  result.presentation = signed;
  const target = scenario.replayTo ? await exchangeUrlOf(scenario.replayTo) : answerUrl;
  const answer = await post(target, {verifiablePresentation: signed});
  result.answerStatus = answer.status;
  result.answer = answer.body;
  if(scenario.postTwice) {
    const again = await post(target, {verifiablePresentation: signed});
    result.againStatus = again.status;
    result.again = again.body;
  }
  return result;
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const documentLoader = documentLoaderFor(request.pinned ?? {});
const results = [];
for(const scenario of request.scenarios) {
  try {
    results.push(await runScenario(scenario, documentLoader));
  } catch(error) {
    results.push({name: scenario.name, error: String(error?.stack ?? error)});
  }
}
process.stdout.write(`${JSON.stringify({results})}\n`);
