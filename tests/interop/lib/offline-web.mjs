/*
 * The only "web" the third-party verifiers see: the documents of one request, plus the pinned
 * public resources (JSON-LD contexts, JSON Schemas) the Python side hands over.
 *
 * Nothing is ever fetched (VERIFICATION.md R17). `globalThis.fetch` is replaced because the
 * libraries under test fetch on their own (verifier-core's document loader, the did:web drivers
 * through ky, the schema check, the issuer registry client); answering from memory is the only way
 * to run them unmodified and offline. Every URL asked for is recorded so a test can see what a
 * verifier tried to reach.
 */

import net from 'node:net';

const JSON_HEADERS = {'content-type': 'application/json'};

/** did:web DID -> the HTTPS URL of its DID document (did:web method spec, "Read (Resolve)"). */
export function didWebDocumentUrl(did) {
  const [, domainAndPath] = did.match(/^did:web:(.+)$/) ?? [];
  if(!domainAndPath) {
    throw new TypeError(`not a did:web DID: ${did}`);
  }
  const [domain, ...path] = domainAndPath.split(':');
  const host = decodeURIComponent(domain);
  if(path.length === 0) {
    return `https://${host}/.well-known/did.json`;
  }
  return `https://${host}/${path.map(decodeURIComponent).join('/')}/did.json`;
}

/** An HTTP GET never sends the fragment: look documents up the way a server would see them. */
export function withoutFragment(url) {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

export class OfflineWeb {
  /**
   * @param {object} options
   * @param {object} options.documents - URL or DID -> JSON document, for this request.
   * @param {object} options.pinned - URL -> JSON document: contexts and schemas the world serves.
   */
  constructor({documents = {}, pinned = {}} = {}) {
    this.documents = new Map();
    for(const [key, document] of Object.entries(documents)) {
      this.documents.set(key, document);
      if(key.startsWith('did:web:') && !key.includes('#')) {
        // the did:web drivers ask for the HTTPS URL, not the DID
        this.documents.set(didWebDocumentUrl(key), document);
      }
    }
    this.pinned = new Map(Object.entries(pinned));
    this.requested = [];
    this.unresolved = [];
  }

  /**
   * The document an HTTP GET of `url` would return, or undefined (a 404). With `exactFirst`, a
   * document given under the full URL (fragment included) wins: Digital Bazaar applications
   * preload key documents that way in their static document loaders (see the
   * eddsa-rdfc-2022-cryptosuite README); over HTTP the fragment never reaches a server.
   */
  lookup(url, {exactFirst = false} = {}) {
    const key = withoutFragment(url);
    this.requested.push(url);
    const found = (exactFirst ? this.documents.get(url) : undefined) ??
      this.documents.get(key) ?? this.pinned.get(key);
    if(found === undefined) {
      this.unresolved.push(url);
    }
    return found;
  }

  /** A DID document (or any document) given in the request under its exact key. */
  lookupExact(key) {
    return this.documents.get(key);
  }

  /** Keys whose content, if changed between two requests, a cache could serve stale. */
  fingerprint() {
    return new Map([...this.documents].map(([k, v]) => [k, JSON.stringify(v)]));
  }
}

let currentWeb = new OfflineWeb();

export function useWeb(web) {
  currentWeb = web;
}

/**
 * Replace `fetch` for the whole process (or worker): answer from the current OfflineWeb,
 * 404 for anything else. A 404 (not a network error) is what a verifier would get for a
 * document that is not published, which is what an absent entry means.
 */
export function installOfflineFetch() {
  const offlineFetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input :
      input instanceof URL ? input.href : input.url;
    const method = (init.method ?? input?.method ?? 'GET').toUpperCase();
    if(method !== 'GET' && method !== 'HEAD') {
      currentWeb.unresolved.push(`${method} ${url}`);
      return new Response('offline harness: only GET is served', {status: 405});
    }
    const document = currentWeb.lookup(url);
    if(document === undefined) {
      return new Response(JSON.stringify({error: 'not found (offline harness)'}),
        {status: 404, statusText: 'Not Found', headers: JSON_HEADERS});
    }
    return new Response(JSON.stringify(document), {status: 200, headers: JSON_HEADERS});
  };
  globalThis.fetch = offlineFetch;
  // Belt and braces: a library reaching the network by another road (its own undici, http,
  // a socket) fails loudly instead of fetching.
  net.Socket.prototype.connect = function refuseConnection() {
    throw new Error('offline harness: network connections are disabled');
  };
}

const RealDate = Date;

/**
 * Run `fn` with the clock frozen at `nowIso` (when given). verifier-core passes no date to the
 * checks it runs (expiry, status list validity), so the only way to verify "as of" a date is to
 * freeze `Date` the way fake-timer libraries do.
 */
export async function atTime(nowIso, fn) {
  if(!nowIso) {
    return fn();
  }
  const frozen = RealDate.parse(nowIso);
  if(Number.isNaN(frozen)) {
    throw new TypeError(`"now" is not a date: ${nowIso}`);
  }
  class FrozenDate extends RealDate {
    constructor(...args) {
      if(args.length === 0) {
        super(frozen);
      } else {
        super(...args);
      }
    }
    static now() {
      return frozen;
    }
  }
  globalThis.Date = FrozenDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

/** An error and everything nested in it, as short strings (VerificationError nests `errors`). */
export function errorMessages(error, seen = new Set()) {
  if(!error || seen.has(error)) {
    return [];
  }
  seen.add(error);
  if(typeof error === 'string') {
    return [error];
  }
  const own = error.message ? [`${error.name ?? 'Error'}: ${error.message}`] : [];
  const nested = [
    ...(Array.isArray(error.errors) ? error.errors : []),
    ...(error.cause ? [error.cause] : [])
  ].flatMap(e => errorMessages(e, seen));
  return [...own, ...nested];
}
