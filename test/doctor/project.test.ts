/**
 * The project checks that need no database: runtime-pins (Node version pins agree), lockfile
 * (present, and package-lock.json in sync with package.json) and env-example (variables the code
 * reads are listed in .env.example). Each runs on a temporary project directory.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envExampleCheck, exampleNames } from '../../src/doctor/checks/env-example.js';
import { lockfileCheck } from '../../src/doctor/checks/lockfile.js';
import { runtimePinsCheck } from '../../src/doctor/checks/runtime-pins.js';
import { jsEnvReads, pyEnvReads } from '../../src/doctor/project/env-reads.js';
import { listSourceFiles } from '../../src/doctor/project/source-files.js';
import { jsTokens, pyTokens } from '../../src/doctor/project/source-tokens.js';
import type { DoctorContext } from '../../src/doctor/types.js';
import { tempDir } from '../support/files.js';

function contextFor(cwd: string): DoctorContext {
  return {
    cwd,
    env: {},
    config: {},
    databaseUrl: undefined,
    client: undefined,
    serverMajor: undefined,
    backupDir: join(cwd, 'backups'),
    migrations: {},
    now: new Date('2026-03-02T10:00:00Z'),
  };
}

const pkg = (value: Record<string, unknown>) =>
  JSON.stringify({ name: 'app', version: '1.0.0', ...value }, null, 2);

describe('runtime-pins', () => {
  it('is skipped without package.json', async () => {
    const outcome = await runtimePinsCheck.run(contextFor(tempDir({ '.nvmrc': '20\n' })));
    expect(outcome.status).toBe('skip');
    expect(outcome.summary).toBe('no package.json: not a Node project');
  });

  it('fails with a clear message on an unreadable package.json', async () => {
    const outcome = await runtimePinsCheck.run(contextFor(tempDir({ 'package.json': '{ "name": "app", }' })));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(/^package\.json is not valid JSON: /);
  });

  it('fails when nothing pins the Node version', async () => {
    const outcome = await runtimePinsCheck.run(contextFor(tempDir({ 'package.json': pkg({}) })));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe('nothing pins the Node version');
    expect(outcome.fix).toMatch(/\.nvmrc/);
  });

  it('passes when .nvmrc, .tool-versions, the Dockerfile node stages and engines agree', async () => {
    const cwd = tempDir({
      'package.json': pkg({ engines: { node: '>=20' } }),
      '.nvmrc': '# the runtime\nv20.11.1\n',
      '.tool-versions': 'python 3.12.1\nnodejs 20.11.1\n',
      Dockerfile: [
        'ARG NODE_VERSION=20',
        '# FROM node:16 (old)',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a template
        'FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-alpine AS build',
        'RUN npm ci',
        'FROM \\',
        '  docker.io/library/node:20.11.1-bookworm-slim',
        'FROM nginx:1.27 AS static',
        'FROM build AS final',
      ].join('\n'),
    });
    const outcome = await runtimePinsCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe(
      'Node 20: .nvmrc, .tool-versions:2, Dockerfile:3, Dockerfile:5, engines.node agree',
    );
    expect(outcome.evidence).toEqual([
      'package.json engines.node: >=20',
      '.nvmrc: v20.11.1 (Node 20)',
      '.tool-versions:2: 20.11.1 (Node 20)',
      'Dockerfile:3: node:20-alpine (Node 20)',
      'Dockerfile:5: docker.io/library/node:20.11.1-bookworm-slim (Node 20)',
    ]);
  });

  it('fails when the pins name different majors, showing each pin and its file', async () => {
    const cwd = tempDir({
      'package.json': pkg({ engines: { node: '^20' } }),
      '.nvmrc': '18\n',
      'Dockerfile.prod': 'FROM node:20-slim\n',
    });
    const outcome = await runtimePinsCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(/^the Node version pins disagree: the pins name different majors/);
    expect(outcome.evidence).toEqual([
      'package.json engines.node: ^20',
      '.nvmrc: 18 (Node 18)',
      'Dockerfile.prod:1: node:20-slim (Node 20)',
      'problem: the pins name different majors: .nvmrc 18, Dockerfile.prod:1 20',
      'problem: .nvmrc: 18 is outside package.json engines.node "^20"',
    ]);
    expect(outcome.fix).toMatch(/same Node major/);
  });

  it('fails when an exact pin is below the engines minimum; the same major unpinned passes', async () => {
    const below = tempDir({
      'package.json': pkg({ engines: { node: '>=20.11' } }),
      '.node-version': '20.1.0\n',
    });
    const outcome = await runtimePinsCheck.run(contextFor(below));
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toContain(
      'problem: .node-version: 20.1.0 is outside package.json engines.node ">=20.11"',
    );
    const line = tempDir({ 'package.json': pkg({ engines: { node: '>=20.11' } }), '.node-version': '20\n' });
    expect((await runtimePinsCheck.run(contextFor(line))).status).toBe('pass');
  });

  it('fails on images and aliases that float (lts, no tag)', async () => {
    const cwd = tempDir({
      'package.json': pkg({ engines: { node: '>=20' } }),
      '.nvmrc': 'lts/*\n',
      Dockerfile: 'FROM node:lts-alpine\nFROM node AS runner\n',
    });
    const outcome = await runtimePinsCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence.filter((e) => e.startsWith('problem:'))).toEqual([
      'problem: .nvmrc: lts/* does not pin a version',
      'problem: Dockerfile:1: node:lts-alpine does not pin a version',
      'problem: Dockerfile:2: node does not pin a version',
    ]);
  });

  it('understands LTS code names (lts/iron, node:iron) and catches one outside the range', async () => {
    const same = tempDir({
      'package.json': pkg({ engines: { node: '20.x' } }),
      '.nvmrc': 'lts/iron\n',
      Dockerfile: 'FROM node:iron-bookworm\n',
    });
    const ok = await runtimePinsCheck.run(contextFor(same));
    expect(ok.status).toBe('pass');
    expect(ok.summary).toBe('Node 20: .nvmrc, Dockerfile:1, engines.node agree');
    const old = tempDir({ 'package.json': pkg({ engines: { node: '>=20' } }), '.nvmrc': 'lts/hydrogen\n' });
    const outcome = await runtimePinsCheck.run(contextFor(old));
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toContain(
      'problem: .nvmrc: lts/hydrogen is outside package.json engines.node ">=20"',
    );
  });

  it('judges every semver range engines.node may hold (||, hyphen, two comparators) as npm does', async () => {
    const judge = async (range: string, nvmrc: string, docker = 'FROM node:20\n') =>
      runtimePinsCheck.run(
        contextFor(
          tempDir({ 'package.json': pkg({ engines: { node: range } }), '.nvmrc': nvmrc, Dockerfile: docker }),
        ),
      );
    const either = await judge('^18 || ^20', '20\n');
    expect(either.status).toBe('pass');
    expect(either.summary).toBe('Node 20: .nvmrc, Dockerfile:1, engines.node agree');
    expect((await judge('>=18 <21', '20\n')).status).toBe('pass');
    expect((await judge('18 - 20', '20.11.1\n')).status).toBe('pass');
    const outside = await judge('>=18 <21', '22\n', 'FROM node:22\n');
    expect(outside.status).toBe('fail');
    expect(outside.evidence).toContain('problem: .nvmrc: 22 is outside package.json engines.node ">=18 <21"');
    // a partial pin agrees when some version of its line is in the range; an exact one must be in it
    expect((await judge('>=20.11', '20\n')).status).toBe('pass');
    expect((await judge('^20.11', '20.19.2\n')).status).toBe('pass');
    expect((await judge('^20', '21\n', 'FROM node:21\n')).status).toBe('fail');
  });

  it('an engines.node that is not a semver range is a problem, named as such', async () => {
    const outcome = await runtimePinsCheck.run(
      contextFor(tempDir({ 'package.json': pkg({ engines: { node: 'twenty' } }), '.nvmrc': '20\n' })),
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toContain(
      'problem: package.json engines.node "twenty" is not a valid semver range (npm ignores it)',
    );
  });

  it('does not judge (nor crash on) a pin that looks like a version but is none semver reads', async () => {
    const cwd = tempDir({
      'package.json': pkg({ engines: { node: '>=20' } }),
      '.nvmrc': '020\n',
      Dockerfile: 'FROM node:20.011-alpine\nFROM node:20\n',
    });
    const outcome = await runtimePinsCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe(
      'Node 20: Dockerfile:2, engines.node agree (2 not judged, see the evidence)',
    );
    expect(outcome.evidence).toContain(
      '.nvmrc: not judged ("020" is not a version semver reads (a leading zero, or a number too large))',
    );
  });

  it('does not judge a build argument without default, and fails on an engines.node that is no string', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, not a template
    const cwd = tempDir({ 'package.json': pkg({}), Dockerfile: 'ARG NODE\nFROM node:${NODE}\n' });
    const outcome = await runtimePinsCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('skip');
    expect(outcome.evidence).toContain(
      'Dockerfile:2: not judged (set by a build argument without a default)',
    );
    const bad = tempDir({ 'package.json': pkg({ engines: { node: 20 } }), '.nvmrc': '20' });
    const failed = await runtimePinsCheck.run(contextFor(bad));
    expect(failed.status).toBe('fail');
    expect(failed.evidence).toContain('problem: package.json engines.node is not a string: 20');
  });
});

/** A package-lock.json (v3) whose root entry lists these sections. */
function lock(root: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'app', version: '1.0.0', ...root }, ...extra },
  });
}

const deps = { dependencies: { pg: '^8.23.1', zod: '^4.6.7' }, devDependencies: { vitest: '^4.1.12' } };

describe('lockfile', () => {
  it('is skipped without package.json', async () => {
    expect((await lockfileCheck.run(contextFor(tempDir({ 'yarn.lock': '' })))).status).toBe('skip');
  });

  it('fails without a lock file when there are dependencies: their ranges float', async () => {
    const outcome = await lockfileCheck.run(contextFor(tempDir({ 'package.json': pkg(deps) })));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe(
      'no lock file: the ranges of 3 dependencies float, a deploy installs untested versions',
    );
    expect(outcome.fix).toMatch(/npm ci/);
  });

  it('passes without a lock file when there is nothing to lock', async () => {
    const outcome = await lockfileCheck.run(contextFor(tempDir({ 'package.json': pkg({}) })));
    expect(outcome).toMatchObject({ status: 'pass', summary: 'no dependencies: nothing to lock' });
  });

  it('passes when package-lock.json lists every range of package.json', async () => {
    const cwd = tempDir({ 'package.json': pkg(deps), 'package-lock.json': lock(deps) });
    const outcome = await lockfileCheck.run(contextFor(cwd));
    expect(outcome).toMatchObject({
      status: 'pass',
      summary: 'package-lock.json in sync with package.json (3 dependencies)',
    });
  });

  it('fails "out of sync" listing changed, missing, extra and moved dependencies', async () => {
    const cwd = tempDir({
      'package.json': pkg({
        dependencies: { pg: '^8.23.1', zod: '^4.6.7', commander: '^14.0.3' },
        devDependencies: { vitest: '^4.1.12' },
      }),
      'package-lock.json': lock({
        dependencies: { pg: '^8.20.0', zod: '^4.6.7', vitest: '^4.1.12', lodash: '^4.17.21' },
      }),
    });
    const outcome = await lockfileCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe(
      'package-lock.json is out of sync with package.json (run npm install): 5 difference(s)',
    );
    expect(outcome.evidence).toEqual([
      'lock file: package-lock.json',
      'dependencies.pg: package.json ^8.23.1, package-lock.json ^8.20.0',
      'dependencies.commander ^14.0.3: missing from package-lock.json',
      'dependencies.vitest ^4.1.12: in package-lock.json, not in package.json',
      'dependencies.lodash ^4.17.21: in package-lock.json, not in package.json',
      'devDependencies.vitest ^4.1.12: missing from package-lock.json',
    ]);
  });

  it('does not compare a lockfileVersion 1 lock, and says so', async () => {
    const cwd = tempDir({
      'package.json': pkg(deps),
      'package-lock.json': JSON.stringify({ name: 'app', lockfileVersion: 1, dependencies: {} }),
    });
    const outcome = await lockfileCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe(
      'package-lock.json present (lockfileVersion 1: not compared with package.json)',
    );
  });

  it('fails on a lock file that is not JSON or has merge conflict markers', async () => {
    const broken = tempDir({ 'package.json': pkg(deps), 'package-lock.json': '{"lockfileVersion": 3,' });
    const outcome = await lockfileCheck.run(contextFor(broken));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(/^package-lock\.json is not valid JSON: /);
    const conflicted = lock(deps).replace(
      '"requires":true,',
      '\n<<<<<<< HEAD\n"requires":true,\n=======\n>>>>>>> main\n',
    );
    const merged = tempDir({ 'package.json': pkg(deps), 'package-lock.json': conflicted });
    expect((await lockfileCheck.run(contextFor(merged))).summary).toBe(
      'package-lock.json has unresolved merge conflict markers',
    );
    const yarn = tempDir({
      'package.json': pkg(deps),
      'yarn.lock': 'pg@^8:\n<<<<<<< HEAD\n  version "8.1.0"\n',
    });
    expect(await lockfileCheck.run(contextFor(yarn))).toMatchObject({
      status: 'fail',
      summary: 'yarn.lock has unresolved merge conflict markers',
    });
  });

  it('accepts yarn.lock / pnpm-lock.yaml by presence and notes that they are not compared', async () => {
    const cwd = tempDir({ 'package.json': pkg(deps), 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n" });
    const outcome = await lockfileCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toContain(
      'pnpm-lock.yaml: present; only npm lock files are compared with package.json',
    );
  });

  it('uses the lock file of the workspace root for a member package, and its packages["<path>"] entry', async () => {
    const member = { dependencies: { pg: '^8.23.1' } };
    const root = tempDir({
      'package.json': pkg({ private: true, workspaces: ['packages/*'] }),
      'package-lock.json': lock(
        { workspaces: ['packages/*'] },
        { 'packages/api': { version: '1.0.0', ...member } },
      ),
      'packages/api/package.json': pkg(member),
      'packages/web/package.json': pkg({ dependencies: { react: '^19.0.0' } }),
    });
    const ok = await lockfileCheck.run(contextFor(join(root, 'packages/api')));
    expect(ok).toMatchObject({ status: 'pass', evidence: ['lock file: ../../package-lock.json'] });
    const missing = await lockfileCheck.run(contextFor(join(root, 'packages/web')));
    expect(missing.status).toBe('fail');
    expect(missing.summary).toBe(
      '../../package-lock.json is out of sync (run npm install): it has no entry for packages/web',
    );
  });

  it('ignores a lock file in a parent directory that is not a workspace root', async () => {
    const root = tempDir({
      'package.json': pkg({ dependencies: { pg: '^8.23.1' } }),
      'package-lock.json': lock({ dependencies: { pg: '^8.23.1' } }),
      'tools/script/package.json': pkg(deps),
    });
    const outcome = await lockfileCheck.run(contextFor(join(root, 'tools/script')));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(/^no lock file/);
  });
});

describe('env reads: the token scan', () => {
  const js = (text: string) => jsEnvReads(jsTokens(text)).map((r) => `${r.name}:${r.line}`);
  const py = (text: string) => pyEnvReads(pyTokens(text)).map((r) => `${r.name}:${r.line}`);

  it('finds every listed JavaScript pattern, with its line', () => {
    const source = [
      'const url = process.env.DATABASE_URL;',
      'const a = process.env[\'API_KEY\'] ?? process.env["API_SECRET"];',
      'const b = process.env?.OPTIONAL_FLAG + process.env[`TEMPLATE_KEY`];',
      'const c = import.meta.env.VITE_API_URL;',
      "const d = Deno.env.get('DENO_TOKEN');",
      "const { SMTP_HOST, SMTP_PORT: port, SMTP_USER = 'x', ...others } = process.env;",
      'const e = globalThis.process.env.GLOBAL_NAME;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source under test, not a template
      'const f = `${process.env.IN_TEMPLATE}/${`${process.env.NESTED}`}`;',
    ].join('\n');
    expect(js(source)).toEqual([
      'DATABASE_URL:1',
      'API_KEY:2',
      'API_SECRET:2',
      'OPTIONAL_FLAG:3',
      'TEMPLATE_KEY:3',
      'VITE_API_URL:4',
      'DENO_TOKEN:5',
      'SMTP_HOST:6',
      'SMTP_PORT:6',
      'SMTP_USER:6',
      'GLOBAL_NAME:7',
      'IN_TEMPLATE:8',
      'NESTED:8',
    ]);
  });

  it('ignores comments, strings, template text, regexes and look-alikes that merely mention process.env', () => {
    const source = [
      '// process.env.IN_LINE_COMMENT',
      '/* process.env.IN_BLOCK_COMMENT',
      '   process.env.STILL_COMMENT */',
      "const s = 'process.env.IN_STRING';",
      'const t = "set process.env.IN_DOUBLE";',
      'const u = `read process.env.IN_TEMPLATE_TEXT`;',
      "const r = /process.env.IN_REGEX'/;",
      'const o = config.process.env.NOT_NODE;',
      'const k = process.env[key];',
      'const after = process.env.REAL_AFTER_ALL_THAT;',
    ].join('\n');
    expect(js(source)).toEqual(['REAL_AFTER_ALL_THAT:10']);
  });

  it('reads JSX text and a regex after a parenthesis as what they are (js-tokens), so later reads are still found', () => {
    const jsx = [
      "export const Help = () => <p>it's set by process.env.NOT_READ_IN_TEXT</p>;",
      'const api = process.env.API_URL;',
    ].join('\n');
    expect(jsEnvReads(jsTokens(jsx, { jsx: true })).map((r) => `${r.name}:${r.line}`)).toEqual(['API_URL:2']);
    const regex = ["if (x) /it's/.test(s);", 'const port = process.env.PORT_AFTER_REGEX;'].join('\n');
    expect(js(regex)).toEqual(['PORT_AFTER_REGEX:2']);
  });

  it('finds the Python patterns, also inside f-strings, and not in comments, strings or docstrings', () => {
    const source = [
      'import os',
      '"""Reads os.environ["IN_DOCSTRING"] at start."""',
      "url = os.environ['DATABASE_URL']",
      'key = os.environ.get("API_KEY", "")',
      "debug = os.getenv('DEBUG')",
      '# os.getenv("IN_COMMENT")',
      'text = \'os.getenv("IN_STRING")\'',
      "msg = f\"host={os.environ['F_STRING_HOST']} {{os.getenv('ESCAPED_BRACES')}}\"",
      "other = myos.getenv('NOT_OS') + self.os.getenv('ALSO_NOT')",
    ].join('\n');
    expect(py(source)).toEqual(['DATABASE_URL:3', 'API_KEY:4', 'DEBUG:5', 'F_STRING_HOST:8']);
  });
});

describe('env-example', () => {
  it('is skipped when there is no example file, and says so', async () => {
    const cwd = tempDir({ 'src/app.ts': 'export const u = process.env.DATABASE_URL;\n' });
    const outcome = await envExampleCheck.run(contextFor(cwd));
    expect(outcome).toMatchObject({
      status: 'skip',
      summary: 'no .env.example, .env.sample, .env.template: nothing to compare with',
    });
  });

  it('fails listing each variable read but missing from .env.example, with where it is read', async () => {
    const cwd = tempDir({
      '.env.example': 'DATABASE_URL=postgres://localhost/app\nexport REDIS_URL=\n# SENTRY_DSN=\n',
      'src/db.ts':
        'export const url = process.env.DATABASE_URL;\nexport const key = process.env.STRIPE_KEY;\n',
      'src/cache.mjs': 'const r = process.env.REDIS_URL;\nconst k = process.env.STRIPE_KEY;\n',
      'src/report.py': "import os\ndsn = os.getenv('SENTRY_DSN')\nbucket = os.environ['S3_BUCKET']\n",
      'src/ignored.ts':
        'const a = [process.env.NODE_ENV, process.env.PATH, process.env.HOME, process.env.PWD, process.env.TZ];\n',
      'src/notes.md': 'process.env.IN_MARKDOWN\n',
      'node_modules/lib/index.js': 'process.env.FROM_DEPENDENCY\n',
      'dist/app.js': 'process.env.FROM_BUILD\n',
      '.cache/x.js': 'process.env.FROM_HIDDEN\n',
    });
    const outcome = await envExampleCheck.run(contextFor(cwd));
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toBe(
      '2 variable(s) the code reads are not in .env.example: S3_BUCKET, STRIPE_KEY',
    );
    expect(outcome.evidence).toEqual([
      '4 source file(s) scanned; .env.example lists 3 variable(s)',
      'S3_BUCKET: read at src/report.py:3',
      'STRIPE_KEY: read at src/cache.mjs:2 and 1 more place(s)',
    ]);
    expect(outcome.fix).toMatch(/Add them to \.env\.example/);
  });

  it('passes when every variable read is listed (.env.sample is found too)', async () => {
    const cwd = tempDir({
      '.env.sample': 'DATABASE_URL=\nPORT=3000\n',
      'server.js': 'listen(process.env.PORT); connect(process.env.DATABASE_URL);\n',
    });
    const outcome = await envExampleCheck.run(contextFor(cwd));
    expect(outcome).toMatchObject({
      status: 'pass',
      summary: 'all 2 variable(s) the code reads are in .env.sample',
    });
  });

  it('reads the names a dotenv example assigns, not values or prose', () => {
    expect([
      ...exampleNames('A=1\n  export B="x"\n#C=\n# D = 2\n# just a note: E is optional\nF\nG=H=I\n'),
    ]).toEqual(['A', 'B', 'C', 'D', 'G']);
  });

  it('stops at the file cap and skips files above the size cap, in a stable order', async () => {
    const cwd = tempDir({
      'a.ts': '',
      'b.ts': '',
      'big.js': 'x'.repeat(2000),
      'c.py': '',
      'lib/d.ts': '',
      'README.md': '',
    });
    const listed = await listSourceFiles(cwd, {
      extensions: new Set(['.ts', '.js', '.py']),
      maxFiles: 3,
      maxBytes: 1000,
    });
    expect(listed.files.map((f) => f.slice(cwd.length + 1))).toEqual(['a.ts', 'b.ts', 'c.py']);
    expect(listed.tooLarge.map((f) => f.slice(cwd.length + 1))).toEqual(['big.js']);
    expect(listed.capped).toBe(true);
  });
});
