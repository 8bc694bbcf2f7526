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
