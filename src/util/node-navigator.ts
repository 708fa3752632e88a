/**
 * Node.js 21 and later define `globalThis.navigator` (`userAgent` "Node.js/<major>"); Node.js 20
 * does not. node-postgres asks `navigator.userAgent` whether it runs in a Cloudflare Worker, and
 * without it constructs a fetch `Response` instead, which loads Node's whole fetch implementation
 * (undici): about 25 ms of every pgwarden start, measured by bench/deploy. Giving Node 20 the
 * object newer versions have makes pg take the cheap path. Imported first by the binary.
 */
if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
    enumerable: false,
  });
}
