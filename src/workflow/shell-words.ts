/**
 * Splitting a command line into words the way a POSIX shell would, without
 * running a shell: quotes and backslashes are honoured, nothing is expanded.
 * @module
 */

/**
 * Splits `line` into words. Throws on an unterminated quote.
 *
 * @example
 * ```ts
 * splitShellWords(`terraform plan vpc -var 'name=a b'`);
 * // ["terraform", "plan", "vpc", "-var", "name=a b"]
 * ```
 */
export function splitShellWords(line: string, options: { keepTemplates?: boolean } = {}): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  // With keepTemplates, a `{{ ... }}` action is copied whole wherever it stands: its spaces and quotes
  // belong to the template, and the value it renders to later stays inside this one word.
  const action = (at: number): number => (options.keepTemplates && line.startsWith("{{", at) ? line.indexOf("}}", at + 2) : -1);
  while (i < line.length) {
    const c = line[i]!;
    const actionEnd = action(i);
    if (actionEnd >= 0) {
      word += line.slice(i, actionEnd + 2);
      inWord = true;
      i = actionEnd + 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        const inner = action(i);
        if (inner >= 0) {
          word += line.slice(i, inner + 2);
          i = inner + 2;
          continue;
        }
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1]!)) i++;
        word += line[i];
        i++;
      }
      if (i >= line.length) throw new Error(`unterminated double quote in: ${line}`);
      inWord = true;
      i++;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The `{{ ... }}` actions of a shell command that pipe into `quote` while
 * standing inside a quoted span (`"..."`, `'...'`, so also `sh -c '...'`):
 * there `quote`'s own quotes do not protect the value (inside '...' they end
 * the span; inside "..." `$(...)` still runs). Returned with their offsets.
 *
 * @example
 * ```ts
 * quotedQuoteActions(`echo "{{ .vars.x | quote }}"`); // [{ offset: 6, action: "{{ .vars.x | quote }}", quote: '"' }]
 * quotedQuoteActions(`echo {{ .vars.x | quote }}`); // []
 * ```
 */
export function quotedQuoteActions(command: string): Array<{ offset: number; action: string; quote: "'" | '"' }> {
  const found: Array<{ offset: number; action: string; quote: "'" | '"' }> = [];
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    if (command.startsWith("{{", i)) {
      const end = command.indexOf("}}", i + 2);
      if (end < 0) break;
      const action = command.slice(i, end + 2);
      if (quote && /\|\s*s?quote\b|^\{\{-?\s*s?quote\b/.test(action)) found.push({ offset: i, action, quote });
      i = end + 1;
      continue;
    }
    const c = command[i]!;
    if (quote === undefined && c === "\\") i++;
    else if (quote === '"' && c === "\\") i++;
    else if (c === "'" && quote !== '"') quote = quote === "'" ? undefined : "'";
    else if (c === '"' && quote !== "'") quote = quote === '"' ? undefined : '"';
  }
  return found;
}

/**
 * Quotes `value` for a POSIX shell, so that it is always one literal word.
 *
 * @example
 * ```ts
 * shellQuote("it's $(here)"); // `'it'\''s $(here)'`
 * ```
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
