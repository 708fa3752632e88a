/** One finding the lint gate stops on (or lets through), and how it is written: `path:line rule: message`. */
export interface GateFinding {
  /** the file, relative to the working directory when inside it */
  path: string;
  line: number;
  rule: string;
  message: string;
}

export function formatGateFinding(f: GateFinding): string {
  return `${f.path}:${f.line} ${f.rule}: ${f.message}`;
}
