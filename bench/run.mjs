#!/usr/bin/env node
/** `npm run bench [name…]`: runs the benchmarks (all by default) and prints their figures. */
import { benchBackup } from './backup/index.mjs';
import { benchDeploy } from './deploy/index.mjs';
import { benchDowntime } from './downtime/index.mjs';
import { benchLint } from './lint/index.mjs';
import { benchPlan } from './plan/index.mjs';
import { benchZeroDowntime } from './zero-downtime/index.mjs';

const BENCHES = {
  lint: benchLint,
  downtime: benchDowntime,
  backup: benchBackup,
  deploy: benchDeploy,
  plan: benchPlan,
  'zero-downtime': benchZeroDowntime,
};
const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; available: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
