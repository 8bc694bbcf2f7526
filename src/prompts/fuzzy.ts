/**
 * Fuzzy matching for the `filter` and `file` pickers: the query's characters
 * must appear in order (case-insensitive); matches that are contiguous, at
 * the start, or after a separator rank first.
 * @module
 */

/** A matched option: its score (higher is better) and the matched character positions. */
export interface FuzzyMatch {
  score: number;
  positions: number[];
}

const SEPARATORS = new Set(["/", "-", "_", ".", " ", ":"]);

/**
 * Matches `query` against `text`; undefined when some query character is missing.
 *
 * @example
 * ```ts
 * fuzzyMatch("ue1", "us-east-1")?.positions; // [0, 3, 8]
 * fuzzyMatch("x", "us-east-1"); // undefined
 * ```
 */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | undefined {
  if (query === "") return { score: 0, positions: [] };
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  // A contiguous match is the best there is: take its earliest start.
  const exact = t.indexOf(q);
  if (exact >= 0) {
    const boundary = exact === 0 || SEPARATORS.has(t[exact - 1]!);
    return { score: 1000 - exact + (boundary ? 100 : 0), positions: Array.from({ length: q.length }, (_, k) => exact + k) };
  }
  const positions: number[] = [];
  let score = 0;
  let from = 0;
  for (const ch of q) {
    const at = t.indexOf(ch, from);
    if (at < 0) return undefined;
    const previous = positions[positions.length - 1];
    if (previous !== undefined && at === previous + 1) score += 5;
    if (at === 0 || SEPARATORS.has(t[at - 1]!)) score += 3;
    score -= at - from;
    positions.push(at);
    from = at + 1;
  }
  return { score, positions };
}

/**
 * The options matching `query`, best first (ties keep their order).
 *
 * @example
 * ```ts
 * rankOptions("west", ["us-east-1", "us-west-2"]).map((m) => m.index); // [1]
 * ```
 */
export function rankOptions(query: string, options: readonly string[]): Array<{ index: number; positions: number[] }> {
  const matched: Array<{ index: number; score: number; positions: number[] }> = [];
  options.forEach((option, index) => {
    const match = fuzzyMatch(query, option);
    if (match) matched.push({ index, ...match });
  });
  if (query !== "") matched.sort((a, b) => b.score - a.score || a.index - b.index);
  return matched.map(({ index, positions }) => ({ index, positions }));
}
