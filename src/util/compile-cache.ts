/**
 * Node.js 22.1 and later can keep V8's compiled code of the modules it loads on disk and reuse it
 * on the next start (`module.enableCompileCache`, in the OS temp directory unless
 * NODE_COMPILE_CACHE says where): every pgwarden start after the first skips compiling its own
 * code. Older Node.js has no such function and starts as before. Imported first by the binary, so
 * the modules loaded after it are cached; a library leaves the host's cache settings alone.
 */
import * as nodeModule from 'node:module';

const enable = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
if (typeof enable === 'function') {
  try {
    enable();
  } catch {
    // a read-only temp directory: start without the cache
  }
}
