#!/usr/bin/env node
/*
 * A wallet built on the OpenWallet Foundation's OpenID4VCI client (@openid4vc/openid4vci, the
 * library of Credo / Paradym wallets): runs the pre-authorized code flow against the service.
 *
 *   node tests/interop/oid4vci-wallet.mjs < request.json > result.json
 *
 * Request: {"offer": "openid-credential-offer://?credential_offer_uri=...",
 *           "txCode": "123456" | null,
 *           "key": "ed25519" (did:key, kid) | "p256" (bare jwk header),
 *           "forgeProof": false   (true: the proof names the wallet's key, another key signs),
 *           "replay": false       (true: after the credential, ask again with the same code and
 *                                  the same access token)}
 * Result:  {"holderDid": "...", "configurationId": "...", "credential": <object|JWT>|null,
 *           "steps": [{"step": "offer"|"metadata"|"token"|"nonce"|"credential"|
 *                      "token-replay"|"credential-replay", "ok": bool,
 *                      "error": "<OAuth error>"|null, "status": <HTTP status>|null}]}
 *
 * The issuer is http://127.0.0.1:<port> in tests: the library refuses http:// URLs unless
 * `allowInsecureUrls` is set in its global configuration (@openid4vc/utils), which we do.
 * Only that loopback server is contacted.
 */
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {setGlobalConfig} from '@openid4vc/utils';
import {CompactSign, exportJWK, generateKeyPair} from 'jose';
import {createHash, randomBytes} from 'node:crypto';

setGlobalConfig({allowInsecureUrls: true});

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58btc(bytes) {
  let number = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let text = '';
  while(number > 0n) {
    text = BASE58[Number(number % 58n)] + text;
    number /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    text = '1' + text;
  }
  return text;
}

async function walletKey(kind) {
  const alg = kind === 'ed25519' ? 'EdDSA' : 'ES256';
  const options = kind === 'ed25519' ? {crv: 'Ed25519', extractable: true} : {extractable: true};
  const pair = await generateKeyPair(alg, options);
  const publicJwk = await exportJWK(pair.publicKey);
  if(kind === 'ed25519') {
    // did:key: multibase base58btc of the ed25519-pub multicodec (0xed 0x01) + the raw key.
    const raw = Buffer.from(publicJwk.x, 'base64url');
    const multibase = 'z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
    const did = `did:key:${multibase}`;
    return {alg, pair, publicJwk, did,
      signer: {method: 'did', didUrl: `${did}#${multibase}`, alg}};
  }
  return {alg, pair, publicJwk, did: null, signer: {method: 'jwk', publicJwk, alg}};
}

function failure(error) {
  const status = error?.response?.status ?? error?.response?.response?.status ?? null;
  let code = error?.errorResponse?.error ??
    error?.response?.credentialErrorResponseResult?.data?.error ?? null;
  for(const text of [error?.textResponse, error?.responseText]) {
    if(!code && typeof text === 'string') {
      try {
        code = JSON.parse(text).error ?? null;
      } catch {}
    }
  }
  return {ok: false, error: code, status, message: String(error?.message ?? error).slice(0, 500)};
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const key = await walletKey(request.key ?? 'ed25519');
  const signingKey = request.forgeProof ?
    (await generateKeyPair(key.alg, key.alg === 'EdDSA' ? {crv: 'Ed25519'} : {})).privateKey :
    key.pair.privateKey;
  const client = new Openid4vciClient({callbacks: {
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: length => randomBytes(length),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const jwt = await new CompactSign(Buffer.from(JSON.stringify(payload)))
        .setProtectedHeader(header).sign(signingKey);
      return {jwt, signerJwk: key.publicJwk};
    },
  }});

  const result = {holderDid: key.did, configurationId: null, credential: null, steps: []};
  const step = async (name, run) => {
    try {
      const value = await run();
      result.steps.push({step: name, ok: true, error: null, status: null});
      return value;
    } catch(error) {
      result.steps.push({step: name, ...failure(error)});
      return undefined;
    }
  };

  const offer = await step('offer', () => client.resolveCredentialOffer(request.offer));
  if(!offer) {
    return result;
  }
  const metadata = await step('metadata',
    () => client.resolveIssuerMetadata(offer.credential_issuer));
  if(!metadata) {
    return result;
  }
  const configurationId = offer.credential_configuration_ids[0];
  result.configurationId = configurationId;
  const tokenOptions = {credentialOffer: offer, issuerMetadata: metadata,
    ...(request.txCode ? {txCode: request.txCode} : {})};
  const token = await step('token',
    () => client.retrievePreAuthorizedCodeAccessTokenFromOffer(tokenOptions));
  if(!token) {
    return result;
  }
  const accessToken = token.accessTokenResponse.access_token;
  const askCredential = async name => {
    const nonce = await step('nonce', () => client.requestNonce({issuerMetadata: metadata}));
    if(!nonce) {
      return undefined;
    }
    const proof = await client.createCredentialRequestJwtProof({
      issuerMetadata: metadata, credentialConfigurationId: configurationId,
      signer: key.signer, nonce: nonce.c_nonce, issuedAt: new Date()});
    return step(name, () => client.retrieveCredentials({
      issuerMetadata: metadata, accessToken, credentialConfigurationId: configurationId,
      proofs: {jwt: [proof.jwt]}}));
  };
  const credentials = await askCredential('credential');
  if(credentials) {
    const response = credentials.credentialResponse;
    result.credential = response.credentials?.[0]?.credential ?? response.credential ?? null;
  }
  if(request.replay) {
    await step('token-replay',
      () => client.retrievePreAuthorizedCodeAccessTokenFromOffer(tokenOptions));
    await askCredential('credential-replay');
  }
  return result;
}

main().then(result => {
  process.stdout.write(JSON.stringify(result));
}, error => {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
});
