/**
 * `runtime-pins`: the Node version is pinned, and every pin agrees — `.nvmrc` / `.node-version` /
 * `.tool-versions`, the Dockerfiles' `FROM node:<v>`, and package.json `engines.node` — so CI, the
 * image and the developers run the same runtime. Pins agree when they name the same major and each
 * overlaps the engines range, as the semver library reads both (a partial pin such as `20` agrees
 * when some 20.x is in the range). An engines.node that is not a semver range is a problem.
 * Skipped when there is no package.json.
 */
import semver from 'semver';
import { projectPackage } from '../project/json-file.js';
import { findNodePins, type Pin } from '../project/node-pins.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

const ENGINES = 'package.json engines.node';

function pinLine(pin: Pin): string {
  return `${pin.where}: ${pin.text}${pin.kind === 'version' ? ` (Node ${pin.major})` : pin.note ? ` — ${pin.note}` : ''}`;
}

export const runtimePinsCheck: DoctorCheck = {
  id: 'runtime-pins',
  title: 'Node version pinned consistently',
  level: 'warn',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const project = await projectPackage(ctx.cwd);
    if ('outcome' in project) return project.outcome;
    const pkg = project.pkg;
    const engines = pkg.engines as Record<string, unknown> | undefined;
    const range = engines && typeof engines === 'object' ? engines.node : undefined;
    const pins = await findNodePins(ctx.cwd);
    const evidence: string[] = [];
    const problems: string[] = [];
    const notes: string[] = [];

    if (range !== undefined && typeof range !== 'string')
      problems.push(`${ENGINES} is not a string: ${JSON.stringify(range)}`);
    const rangeText = typeof range === 'string' ? range.trim() : undefined;
    const enginesRange = rangeText === undefined ? null : semver.validRange(rangeText);
    if (rangeText !== undefined) evidence.push(`${ENGINES}: ${rangeText}`);
    if (rangeText !== undefined && enginesRange === null)
      problems.push(`${ENGINES} "${rangeText}" is not a valid semver range (npm ignores it)`);
    evidence.push(...pins.map(pinLine));

    if (range === undefined && pins.length === 0) {
      return {
        status: 'fail',
        summary: 'nothing pins the Node version',
        evidence: ['no .nvmrc, .node-version, .tool-versions, Dockerfile FROM node:… or engines.node'],
        fix: 'Add an .nvmrc with the Node major you run (e.g. 20) and engines.node (e.g. ">=20") in package.json, so CI, the image and every developer run the same runtime.',
      };
    }

    const versions = pins.filter((p) => p.kind === 'version');
    for (const pin of pins.filter((p) => p.kind === 'floating'))
      problems.push(`${pin.where}: ${pin.text} does not pin a version`);
    for (const pin of pins.filter((p) => p.kind === 'unknown'))
      notes.push(`${pin.where}: not judged (${pin.note})`);
    const majors = [...new Set(versions.map((p) => p.major))];
    if (majors.length > 1)
      problems.push(
        `the pins name different majors: ${versions.map((p) => `${p.where} ${p.major}`).join(', ')}`,
      );
    if (enginesRange) {
      for (const pin of versions)
        if (!semver.intersects(pin.range!, enginesRange))
          problems.push(`${pin.where}: ${pin.text} is outside ${ENGINES} "${rangeText}"`);
    }

    if (problems.length > 0) {
      return {
        status: 'fail',
        summary: `the Node version pins disagree: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
        evidence: [...evidence, ...problems.map((p) => `problem: ${p}`), ...notes],
        fix: 'Make every pin name the same Node major (.nvmrc / .node-version / .tool-versions, Dockerfile FROM node:<major>) and give engines.node a range that includes it.',
      };
    }
    const label =
      majors.length === 1
        ? `Node ${majors[0]}`
        : rangeText !== undefined
          ? `engines.node "${rangeText}"`
          : '';
    const unjudged = notes.length > 0 ? ` (${notes.length} not judged, see the evidence)` : '';
    if (label === '')
      return {
        status: 'skip',
        summary: 'the Node version cannot be judged from the files',
        evidence: [...evidence, ...notes],
      };
    const compared = [...versions.map((p) => p.where), ...(enginesRange ? ['engines.node'] : [])];
    return {
      status: 'pass',
      summary:
        compared.length > 1
          ? `${label}: ${compared.join(', ')} agree${unjudged}`
          : `${label}, pinned only by ${compared[0] ?? 'engines.node'}${unjudged}`,
      evidence: [...evidence, ...notes],
    };
  },
};
