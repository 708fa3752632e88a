/** Where the CLI writes, so tests can run it in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** where questions are answered (restore's confirmation); absent in tests run in-process */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface GlobalOptions {
  databaseUrl?: string;
  config?: string;
  json?: boolean;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function useColor(io: CliIo, globals: GlobalOptions): boolean {
  if (!globals.color || io.env.NO_COLOR !== undefined) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return io.stdout.isTTY === true;
}
