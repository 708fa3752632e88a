/**
 * Things pgwarden did on its own that the user must hear about, whichever command was running —
 * e.g. reopening a database that an interrupted restore left closed. The library records them
 * here; the CLI prints each as a warning, and doctor lists them in its connection check.
 */
export interface Notice {
  /** stable kind, e.g. `connections-reopened` */
  kind: string;
  text: string;
}

const listeners = new Set<(notice: Notice) => void>();
const recorded: Notice[] = [];

/** Records a notice and hands it to every listener. */
export function notice(kind: string, text: string): void {
  const entry = { kind, text };
  recorded.push(entry);
  for (const listener of listeners) listener(entry);
}

/** Calls `listener` for every notice from now on; returns the function that stops it. */
export function onNotice(listener: (notice: Notice) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The notices recorded so far in this process. */
export function notices(): readonly Notice[] {
  return recorded;
}
