/**
 * The SQL parser is PostgreSQL's own grammar compiled to WebAssembly (libpg-query, 1.7 MB). By
 * default V8 compiles it twice: a quick baseline (Liftoff) and, in the background, optimised code
 * (TurboFan) for the functions that get hot. A command lives for seconds, parsing a few migrations
 * or a few thousand small files; it never repays the optimising compile. Baseline code only:
 * `lint` of one small file 0.56 → 0.45 s, of 2,000 files 2.0 → 1.4 s; a 10 MB file parses as fast
 * (bench/lint), and a restore preview peaks about 20 MB lower. Set before the module is compiled:
 * imported first by the binary, as a library leaves the host's V8 alone.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
