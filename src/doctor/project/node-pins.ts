/**
 * Where a project pins its Node version, read the way the tools read them: `.nvmrc` and
 * `.node-version` (first line, `#` comments dropped, `lts/<codename>` understood), `.tool-versions`
 * (asdf / mise: the first version after `nodejs` or `node`), and the `FROM` lines of the
 * Dockerfiles in the project directory (`Dockerfile*`, `*.Dockerfile`) whose image is `node`
 * (any registry / namespace), with `ARG` defaults declared before the first `FROM` substituted.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';

export interface Pin {
  /** where: `.nvmrc`, `Dockerfile.prod:3` */
  where: string;
  /** what the file says (`20`, `lts/iron`, `node:20-alpine`) */
  text: string;
  /**
   * version: names a Node line; floating: follows whatever is newest (`lts`, `latest`, no tag);
   * unknown: cannot be judged from the files (a build argument without default, a digest only)
   */
  kind: 'version' | 'floating' | 'unknown';
  /** the versions a version pin stands for, as a semver range (`20` = `>=20.0.0 <21.0.0-0`) */
  range?: string;
  major?: number;
  /** why a floating / unknown pin is one */
  note?: string;
}

/** Node LTS code names and their majors (https://github.com/nodejs/Release). */
const CODENAMES: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

/** `20`, `v20.11`, `20.11.1`: a version as nvm and Docker tags write it (a partial one is its line). */
function isVersion(value: string): boolean {
  return /^v?\d+(\.\d+){0,2}$/.test(value);
}

function versionPin(where: string, text: string, version: string): Pin {
  // semver reads a partial version as its whole line: `20` is every 20.x, as node:20 installs
  const range = semver.validRange(version);
  const min = range === null ? null : semver.minVersion(range);
  if (range === null || min === null)
    return {
      where,
      text,
      kind: 'unknown',
      note: `"${version}" is not a version semver reads (a leading zero, or a number too large)`,
    };
  return { where, text, kind: 'version', range, major: min.major };
}

function codenamePin(where: string, text: string, codename: string): Pin | undefined {
  const major = CODENAMES[codename.toLowerCase()];
  return major === undefined ? undefined : versionPin(where, text, String(major));
}

const floating = (where: string, text: string, note: string): Pin => ({
  where,
  text,
  kind: 'floating',
  note,
});

/** A version as nvm / fnm / asdf take it: `20`, `v20.11.1`, `lts/iron`, `lts-iron`, `lts/*`, `node`. */
function managerPin(where: string, value: string): Pin {
  if (isVersion(value)) return versionPin(where, value, value);
  const lts = /^lts[/-](.+)$/i.exec(value);
  const named = lts ? codenamePin(where, value, lts[1]!) : undefined;
  if (named) return named;
  return floating(where, value, 'names no Node version: it follows the newest release it stands for');
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'EISDIR'
    )
      return undefined;
    throw error;
  }
}

/** `.nvmrc` / `.node-version`: the first non-empty line, without a `#` comment. */
async function versionFilePin(cwd: string, name: string): Promise<Pin | undefined> {
  const text = await readText(join(cwd, name));
  if (text === undefined) return undefined;
  const line = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .find((l) => l !== '');
  if (line === undefined) return { where: name, text: '(empty)', kind: 'unknown', note: 'the file is empty' };
  return managerPin(name, line);
}

/** `.tool-versions`: `nodejs 20.11.1` (asdf) or `node 20.11.1` (mise); the first version wins. */
async function toolVersionsPin(cwd: string): Promise<Pin | undefined> {
  const text = await readText(join(cwd, '.tool-versions'));
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const [tool, version] = lines[i]!.replace(/#.*/, '').trim().split(/\s+/);
    if ((tool === 'nodejs' || tool === 'node') && version)
      return managerPin(`.tool-versions:${i + 1}`, version);
  }
  return undefined;
}

/** Instructions of a Dockerfile: continuation lines joined, comments dropped, with their line. */
function instructions(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  let current: { line: number; text: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*#/.test(raw)) continue;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (current) current.text += ` ${part.trim()}`;
    else current = { line: i + 1, text: part.trim() };
    if (!continued) {
      if (current.text !== '') out.push(current);
      current = undefined;
    }
  }
  if (current && current.text !== '') out.push(current);
  return out;
}

function substitute(text: string, args: Map<string, string>): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (whole, braced, fallback, bare) => {
    const value = args.get(braced ?? bare);
    if (value !== undefined && value !== '') return value;
    return fallback ?? whole;
  });
}

/** The `FROM` image parts: the repository's last path segment, the tag and whether a digest follows. */
function imageParts(image: string): { name: string; tag: string | undefined; digest: boolean } {
  const [withoutDigest, digest] = image.split('@');
  const segments = withoutDigest!.split('/');
  const last = segments[segments.length - 1]!;
  const colon = last.indexOf(':');
  return {
    name: (colon < 0 ? last : last.slice(0, colon)).toLowerCase(),
    tag: colon < 0 ? undefined : last.slice(colon + 1),
    digest: digest !== undefined,
  };
}

function dockerTagPin(where: string, image: string, tag: string | undefined, digest: boolean): Pin {
  if (tag === undefined) {
    if (digest)
      return {
        where,
        text: image,
        kind: 'unknown',
        note: 'pinned by digest only: the version is not visible',
      };
    return floating(where, image, 'no tag means `latest`: the image changes with every Node release');
  }
  const version = /^v?(\d+(?:\.\d+){0,2})(?:-|$)/.exec(tag);
  if (version) return versionPin(where, image, version[1]!);
  const named = codenamePin(where, image, tag.split('-')[0]!);
  if (named) return named;
  return floating(where, image, `the tag "${tag}" names no Node version: it moves with new releases`);
}

/** The node images of one Dockerfile. */
function dockerfilePins(name: string, text: string): Pin[] {
  const pins: Pin[] = [];
  const args = new Map<string, string>();
  let seenFrom = false;
  for (const instruction of instructions(text)) {
    const [keyword, ...rest] = instruction.text.split(/\s+/);
    const upper = keyword!.toUpperCase();
    if (upper === 'ARG' && !seenFrom) {
      for (const arg of rest) {
        const eq = arg.indexOf('=');
        if (eq > 0) args.set(arg.slice(0, eq), arg.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'));
      }
    }
    if (upper !== 'FROM') continue;
    seenFrom = true;
    const raw = rest.find((word) => !word.startsWith('--'));
    if (!raw) continue;
    const image = substitute(raw, args);
    const where = `${name}:${instruction.line}`;
    const parts = imageParts(image);
    if (parts.name !== 'node') continue;
    if (image.includes('$')) {
      pins.push({ where, text: raw, kind: 'unknown', note: 'set by a build argument without a default' });
      continue;
    }
    pins.push(dockerTagPin(where, image, parts.tag, parts.digest));
  }
  return pins;
}

/** Every Node pin of the project directory, in a stable order. */
export async function findNodePins(cwd: string): Promise<Pin[]> {
  const pins: Pin[] = [];
  for (const name of ['.nvmrc', '.node-version']) {
    const pin = await versionFilePin(cwd, name);
    if (pin) pins.push(pin);
  }
  const tools = await toolVersionsPin(cwd);
  if (tools) pins.push(tools);
  const entries = await readdir(cwd, { withFileTypes: true });
  const dockerfiles = entries
    .filter((e) => e.isFile() && (/^dockerfile/i.test(e.name) || /\.dockerfile$/i.test(e.name)))
    .map((e) => e.name)
    .sort();
  for (const name of dockerfiles) pins.push(...dockerfilePins(name, (await readText(join(cwd, name))) ?? ''));
  return pins;
}
