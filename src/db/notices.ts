/**
 * Things pgwarden did on its own that the user must hear about, whichever command was running —
 * e.g. reopening a database that an interrupted restore left closed. The library records them
 * here; the CLI prints each as a warning, and doctor lists them in its connection check.
 */
const listeners = new Set<(text: string) => void>();
const recorded: string[] = [];

/** Records a notice and hands it to every listener. */
export function notice(text: string): void {
  recorded.push(text);
  for (const listener of listeners) listener(text);
}

/** Calls `listener` for every notice from now on; returns the function that stops it. */
export function onNotice(listener: (text: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The notices recorded so far in this process. */
export function notices(): readonly string[] {
  return recorded;
}
