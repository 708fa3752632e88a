/** `-- pgwarden:<directive> key=value …` comments: the words of one, or undefined for any other comment. */
export function directiveWords(comment: string): string[] | undefined {
  if (!comment.startsWith('--')) return undefined;
  const words = comment.slice(2).trim().split(/\s+/);
  return words[0]?.startsWith('pgwarden:') ? words : undefined;
}
