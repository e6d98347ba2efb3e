/*
 * VC-JWT (OB 3.0 §8.2) checked with `jose`, the JOSE library most JavaScript verifiers use.
 *
 * The key comes from the `kid` (a DID URL, or an HTTPS URL of a controller document) resolved
 * against the request's documents, never from a URL the token names (VERIFICATION.md R17). A token
 * that carries only a `jwk` header is still checked with that key so a test can see the signature,
 * but `key.boundToIssuer` is then false (VERIFICATION.md R11).
 */
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {decodeJwt, decodeProtectedHeader, importJWK, jwtVerify} from 'jose';
import {didWebDocumentUrl} from './offline-web.mjs';

// RS256 is the OB 3.0 baseline; ES256 is accepted by the official validator; EdDSA (Ed25519)
// is what an issuer holding only an Ed25519 key would use.
const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'Ed25519'];
/** Multikey `publicKeyMultibase` (z6Mk..., Ed25519) -> public JWK. */
async function ed25519MultibaseToJwk(publicKeyMultibase) {
  const keyPair = await Ed25519Multikey.from({type: 'Multikey', publicKeyMultibase});
  return Ed25519Multikey.toJwk({keyPair});
}

function absoluteId(id, base) {
  return typeof id === 'string' && id.startsWith('#') ? `${base}${id}` : id;
}

function didDocumentFor(did, web) {
  if(did.startsWith('did:key:')) {
    const multibase = did.slice('did:key:'.length);
    const id = `${did}#${multibase}`;
    return {
      id: did,
      verificationMethod: [{id, type: 'Multikey', controller: did, publicKeyMultibase: multibase}],
      assertionMethod: [id]
    };
  }
  if(did.startsWith('did:jwk:')) {
    const jwk = JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString());
    const id = `${did}#0`;
    return {
      id: did,
      verificationMethod: [{id, type: 'JsonWebKey', controller: did, publicKeyJwk: jwk}],
      assertionMethod: [id]
    };
  }
  return web.lookupExact(did) ??
    (did.startsWith('did:web:') ? web.lookup(didWebDocumentUrl(did)) : undefined);
}

function findMethod(controllerDocument, kid) {
  const base = controllerDocument.id;
  const candidates = [
    ...[].concat(controllerDocument.verificationMethod ?? []),
    ...[].concat(controllerDocument.assertionMethod ?? []).filter(m => typeof m === 'object')
  ];
  return candidates.find(m => absoluteId(m.id, base) === kid);
}

function isAssertionMethod(controllerDocument, kid) {
  const base = controllerDocument.id;
  return [].concat(controllerDocument.assertionMethod ?? []).some(m =>
    absoluteId(typeof m === 'string' ? m : m?.id, base) === kid);
}

async function publicJwkOf(method) {
  if(method.publicKeyJwk) {
    return method.publicKeyJwk;
  }
  if(method.publicKeyMultibase) {
    return ed25519MultibaseToJwk(method.publicKeyMultibase);
  }
  throw new Error(
    `verification method ${method.id} has neither publicKeyJwk nor publicKeyMultibase`);
}

function issuerIdOf(payload) {
  const credential = payload.vc ?? payload;
  const issuer = credential.issuer ?? payload.iss;
  return typeof issuer === 'object' ? issuer?.id : issuer;
}

/** Where the verification key comes from, and whether it is bound to the issuer. */
async function resolveKey({header, payload, web}) {
  if(header.kid) {
    const issuer = issuerIdOf(payload);
    const kid = header.kid.startsWith('#') && issuer ? `${issuer}${header.kid}` : header.kid;
    const controllerId = kid.split('#')[0];
    const controllerDocument = controllerId.startsWith('did:') ?
      didDocumentFor(controllerId, web) : web.lookup(controllerId);
    if(!controllerDocument) {
      throw new Error(`no document for "${controllerId}" (kid "${header.kid}")`);
    }
    const method = findMethod(controllerDocument, kid);
    if(!method) {
      throw new Error(`"${kid}" is not a verification method of "${controllerId}"`);
    }
    const assertion = isAssertionMethod(controllerDocument, kid);
    return {
      jwk: await publicJwkOf(method),
      source: controllerId.startsWith('did:') ? 'did-document' : 'controller-document',
      kid,
      type: method.type,
      controller: controllerId,
      assertionMethod: assertion,
      boundToIssuer: assertion && controllerId === issuer
    };
  }
  if(header.jwk) {
    return {jwk: header.jwk, source: 'embedded-jwk', kid: null, type: null, controller: null,
      assertionMethod: false, boundToIssuer: false};
  }
  throw new Error('the JWT header names no key (neither "kid" nor "jwk")');
}

function numericDate(value) {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : null;
}

/** OB 3.0 §8.2.4.1 JWT payload rules, as findings (the official samples omit `sub`). */
function payloadFindings({header, payload}) {
  const credential = payload.vc ?? payload;
  const problems = [];
  const issuer = issuerIdOf(payload);
  const subject = [].concat(credential.credentialSubject ?? [])[0]?.id;
  for(const claim of ['iss', 'jti', 'nbf', 'sub']) {
    if(payload[claim] === undefined) {
      problems.push(`missing "${claim}"`);
    }
  }
  if(payload.iss !== undefined && payload.iss !== issuer) {
    problems.push(`"iss" (${payload.iss}) is not the issuer id (${issuer})`);
  }
  if(payload.sub !== undefined && subject !== undefined && payload.sub !== subject) {
    problems.push(`"sub" (${payload.sub}) is not credentialSubject.id (${subject})`);
  }
  if(payload.jti !== undefined && credential.id !== undefined && payload.jti !== credential.id) {
    problems.push(`"jti" (${payload.jti}) is not the credential id (${credential.id})`);
  }
  if(credential.validUntil && payload.exp === undefined) {
    problems.push('"exp" missing although the credential has validUntil');
  }
  if(credential.validFrom && payload.nbf !== undefined &&
    Date.parse(credential.validFrom) !== payload.nbf * 1000) {
    problems.push(`"nbf" (${numericDate(payload.nbf)}) is not validFrom (${credential.validFrom})`);
  }
  if(credential.validUntil && payload.exp !== undefined &&
    Date.parse(credential.validUntil) !== payload.exp * 1000) {
    problems.push(
      `"exp" (${numericDate(payload.exp)}) is not validUntil (${credential.validUntil})`);
  }
  const extraHeaders = Object.keys(header).filter(k => !['alg', 'kid', 'jwk', 'typ'].includes(k));
  if(extraHeaders.length > 0) {
    problems.push(`header has parameters beyond alg/kid/jwk/typ: ${extraHeaders.join(', ')}`);
  }
  return problems;
}

export async function verifyWithJose({jwt, web, now}) {
  const report = {
    verified: false, error: null, header: null, payload: null, key: null,
    claims: null, problems: [], conformant: false
  };
  try {
    report.header = decodeProtectedHeader(jwt);
    report.payload = decodeJwt(jwt);
  } catch(error) {
    report.error = `${error.code ?? error.name}: ${error.message}`;
    return report;
  }
  const {header, payload} = report;
  report.claims = {
    iss: payload.iss ?? null, sub: payload.sub ?? null, jti: payload.jti ?? null,
    nbf: numericDate(payload.nbf), exp: numericDate(payload.exp)
  };
  report.problems = payloadFindings({header, payload});
  try {
    const key = await resolveKey({header, payload, web});
    const {jwk, ...keyReport} = key;
    report.key = {...keyReport, kty: jwk.kty};
    const publicKey = await importJWK(jwk, header.alg);
    await jwtVerify(jwt, publicKey, {
      algorithms: ACCEPTED_ALGORITHMS,
      ...(now ? {currentDate: new Date(now)} : {})
    });
    report.verified = true;
  } catch(error) {
    report.error = `${error.code ?? error.name}: ${error.message}`;
  }
  report.conformant = report.verified && report.problems.length === 0 &&
    report.key?.boundToIssuer === true;
  return report;
}
