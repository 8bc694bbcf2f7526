/**
 * The renderer of command fields, per dialect: every hostile value, in
 * every place a template can stand, reaches the real shell as exactly the
 * value (sh, bash, zsh and fish are run), or the place is refused; pwsh's
 * and cmd's renderings are checked as text (neither runs here).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TemplateError } from "../errors.ts";
import { executeParts } from "../template/execute.ts";
import { isFunction } from "../template/functions.ts";
import { parse } from "../template/parser.ts";
import { compileTemplate } from "../template/index.ts";
import { codeFindings, renderCode, TRUSTED_ROOTS } from "./render-code.ts";
import type { Dialect } from "./dialect.ts";

const dir = mkdtempSync(join(tmpdir(), "muster-render-code-"));
const pwned = join(dir, "pwned");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values an attacker would send: each must print as itself, and none may create `pwned`. */
const HOSTILE = [
  `$(touch ${pwned})`,
  `\`touch ${pwned}\``,
  `x; touch ${pwned}`,
  `x | touch ${pwned}`,
  `x && touch ${pwned}`,
  `a\ntouch ${pwned}`,
  `EOF\ntouch ${pwned}\nEOF`,
  `'; touch ${pwned}; '`,
  `"; touch ${pwned}; "`,
  `it's "quoted" \\ back\\slash`,
  "$IFS$HOME${PATH}",
  "*",
  "~",
  "-n",
  "",
  "  spaced  out  ",
  "#not-a-comment",
  "$((1+1))",
  "%PATH% !x! ^&",
  "tab\there",
  "ünïcødé ✓",
  `$'\\x41' (touch ${pwned})`,
];

const render = (template: string, value: string, dialect: Dialect) =>
  renderCode(executeParts(parse(template, isFunction), { vars: { v: value }, workflow: { name: "w" } }, { quoteStyle: "shell", trusted: TRUSTED_ROOTS }), dialect);

function run(shell: string[], script: string, env: Record<string, string>): string {
  const proc = Bun.spawnSync([...shell, script], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...env }, stdout: "pipe", stderr: "pipe" });
  if (!proc.success) throw new Error(`${shell.join(" ")} failed (${proc.exitCode}): ${proc.stderr.toString()}\n--- script:\n${script}`);
  return proc.stdout.toString();
}

/** Places in POSIX shell text, and what each prints for a value `v`. */
const POSIX_PLACES: Array<{ template: string; expected: (v: string) => string }> = [
  { template: "printf '%s\\n' {{ .vars.v }}", expected: (v) => `${v}\n` },
  { template: "printf '%s\\n' x={{ .vars.v }}.y", expected: (v) => `x=${v}.y\n` },
  { template: `printf '%s\\n' "in {{ .vars.v }} dq"`, expected: (v) => `in ${v} dq\n` },
  { template: `printf '%s\\n' 'in {{ .vars.v }} sq'`, expected: (v) => `in ${v} sq\n` },
  { template: "printf '%s\\n' {{ .vars.v | quote }}", expected: (v) => `${v}\n` },
  { template: `printf '%s\\n' "{{ .vars.v | quote }}"`, expected: (v) => `${v}\n` },
  { template: `printf '%s\\n' '{{ .vars.v | squote }}'`, expected: (v) => `${v}\n` },
  { template: "# don't worry, it is quoted\nprintf '%s\\n' '{{ .vars.v | quote }}'", expected: (v) => `${v}\n` },
  { template: "cat <<EOF\n{{ .vars.v }}\nEOF\nprintf 'after\\n'", expected: (v) => `${v}\nafter\n` },
  { template: "cat <<-EOF\n\t{\"tenant\": \"{{ .vars.v }}\"}\n\tEOF", expected: (v) => `{"tenant": "${v}"}\n` },
  { template: "printf '%s\\n' \"$(printf '%s' {{ .vars.v }})\"", expected: (v) => `${v}\n` },
  { template: "v=$(printf '%s' \"{{ .vars.v }}\"); printf '%s\\n' \"$v\"", expected: (v) => `${v}\n` },
  { template: "# a comment with {{ .vars.v }}\nprintf 'ok\\n'", expected: () => "ok\n" },
];

for (const shell of [["sh", "-c"], ["bash", "-c"], ["zsh", "-c"]]) {
  test(`posix renderer: every hostile value in every place prints as itself under ${shell[0]}, and runs nothing`, () => {
    for (const place of POSIX_PLACES) {
      for (const value of HOSTILE) {
        const { text, env } = render(place.template, value, "posix");
        const out = run(shell, text, env);
        const want = place.expected(value);
        expect({ template: place.template, value, out }).toEqual({ template: place.template, value, out: want });
      }
    }
    expect(existsSync(pwned)).toBe(false);
  });
}

test("fish renderer: hostile values in words, strings, command substitutions and comments print as themselves under fish", () => {
  const places: Array<{ template: string; expected: (v: string) => string }> = [
    { template: "printf '%s\\n' {{ .vars.v }}", expected: (v) => `${v}\n` },
    { template: "printf '%s\\n' x={{ .vars.v }}.y", expected: (v) => `x=${v}.y\n` },
    { template: `printf '%s\\n' "in {{ .vars.v }} dq"`, expected: (v) => `in ${v} dq\n` },
    { template: `printf '%s\\n' 'in {{ .vars.v }} sq'`, expected: (v) => `in ${v} sq\n` },
    { template: "printf '%s\\n' (string join '' -- {{ .vars.v }} '')", expected: (v) => `${v}\n` },
    { template: "# it's a comment {{ .vars.v }}\nprintf 'ok\\n'", expected: () => "ok\n" },
  ];
  for (const place of places) {
    for (const value of HOSTILE.filter((v) => !v.includes("\n"))) {
      const { text, env } = render(place.template, value, "fish");
      expect({ template: place.template, value, out: run(["fish", "-c"], text, env) }).toEqual({ template: place.template, value, out: place.expected(value) });
    }
  }
  expect(existsSync(pwned)).toBe(false);
});

test("pwsh renderer: ${env:NAME} in words, strings, here-strings and comments; '...' refused", () => {
  expect(render("Write-Output {{ .vars.v }}", "$(id)", "pwsh")).toEqual({ text: 'Write-Output "${env:MUSTER_DATA_1}"', env: { MUSTER_DATA_1: "$(id)" }, display: "Write-Output '$(id)'" });
  expect(render('Write-Output "a {{ .vars.v }} b"', "x", "pwsh").text).toBe('Write-Output "a ${env:MUSTER_DATA_1} b"');
  expect(render('$s = @"\n{{ .vars.v }}\n"@', "x", "pwsh").text).toBe('$s = @"\n${env:MUSTER_DATA_1}\n"@');
  expect(render("# {{ .vars.v }}\nexit 0", "x", "pwsh").text).toBe("# ${env:MUSTER_DATA_1}\nexit 0");
  expect(render('Write-Output "$(Get-Date) {{ .vars.v }}"', "x", "pwsh").text).toBe('Write-Output "$(Get-Date) ${env:MUSTER_DATA_1}"');
  expect(() => render("Write-Output 'a {{ .vars.v }}'", "x", "pwsh")).toThrow(/inside a '\.\.\.' string, where PowerShell expands nothing/);
});

test("cmd and interpreters other than shells refuse every value from outside; argv words take it as it is", () => {
  expect(() => render("echo {{ .vars.v }}", "x", "cmd")).toThrow(/cmd expands %NAME% before it parses the line/);
  expect(() => render("print('{{ .vars.v }}')", "x", "program:python3")).toThrow(/python3 code.*os\.environ\["NAME"\]/);
  expect(() => render("console.log('{{ .vars.v }}')", "x", "program:node")).toThrow(/process\.env\.NAME/);
  expect(render("--name={{ .vars.v }}", "a b; $(c)", "argv")).toEqual({ text: "--name=a b; $(c)", env: {}, display: "--name=a b; $(c)" });
  // Constants from the file are code in every dialect: nothing to refuse.
  expect(render("echo {{ .workflow.name }}", "x", "cmd").text).toBe("echo w");
});

test("posix places where no value can be data are refused, with the action's offset", () => {
  const refused = (template: string, pattern: RegExp) => {
    let error: unknown;
    try {
      render(template, "x", "posix");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).message).toMatch(pattern);
    expect((error as TemplateError).offset).toBe(template.indexOf("{{"));
  };
  refused("cat <<'EOF'\n{{ .vars.v }}\nEOF", /here-document with a quoted delimiter \(<<'EOF'\).*expected an unquoted delimiter, <<EOF/);
  refused('cat <<"END"\n{{ .vars.v }}\nEND', /quoted delimiter \(<<'END'\)/);
  refused("echo `echo {{ .vars.v }}`", /inside `\.\.\.`.*expected \$\(\.\.\.\) instead of backquotes/);
  refused("echo ${X:-{{ .vars.v }}}", /inside \$\{\.\.\.\}/);
  refused("echo $(( {{ .vars.v }} + 1 ))", /inside \$\(\(\.\.\.\)\), where the shell evaluates the value as arithmetic/);
  refused("cat <<{{ .vars.v }}\nx\n", /a here-document whose delimiter muster cannot read/);
  expect(() => render("echo {{ .vars.v }}", "a\u0000b", "posix")).toThrow(/NUL byte/);
  // After a quoted here-document ends, the text is a command again.
  expect(render("cat <<'EOF'\nliteral $x\nEOF\necho {{ .vars.v }}", "y", "posix").text).toBe(`cat <<'EOF'\nliteral $x\nEOF\necho "\${MUSTER_DATA_1}"`);
  // `<<<` is a here-string, not a here-document.
  expect(render("cat <<< {{ .vars.v }}", "y", "posix").text).toBe(`cat <<< "\${MUSTER_DATA_1}"`);
});

test("what is data: values printed from vars, results, env and env()/expandenv, through functions, variables, with and range; the file's own roots and numbers are not", () => {
  const parts = (template: string, data: Record<string, unknown> = {}) =>
    executeParts(parse(template, isFunction), { vars: { v: "V", list: ["a", "b"] }, steps: { s: { value: "S" } }, env: { E: "e" }, workflow: { name: "w" }, step: { name: "st" }, matrix: { m: "M" }, ...data }, { quoteStyle: "shell", trusted: TRUSTED_ROOTS, env: { HOME: "/home/u" } })
      .filter((p) => p.text !== "")
      .map((p) => (p.data ? `<${p.text}>` : p.text))
      .join("");
  expect(parts("{{ .vars.v }} {{ .steps.s.value }} {{ .env.E }} {{ .stack }}", { stack: "prod" })).toBe("<V> <S> <e> <prod>");
  expect(parts("{{ .workflow.name }} {{ .step.name }} {{ .matrix.m }} {{ \"lit\" }}")).toBe("w st M lit");
  expect(parts("{{ .vars.v | upper }} {{ printf \"%s-%s\" .workflow.name .vars.v }} {{ len .vars.v }} {{ eq .vars.v \"V\" }}")).toBe("<V> <w-V> 1 true");
  expect(parts("{{ $x := .vars.v }}{{ $x }} {{ $y := .matrix.m }}{{ $y }}")).toBe("<V> M");
  expect(parts("{{ range .vars.list }}{{ . }},{{ end }} {{ with .vars.v }}{{ . }}{{ end }} {{ range .matrix }}{{ . }}{{ end }}")).toBe("<a>,<b>, <V> M");
  expect(parts('{{ ternary "--force" "" (eq .vars.v "V") }} {{ .vars.nope | default "fallback" }} {{ .vars.v | default "x" }}')).toBe("--force fallback <V>");
  expect(parts('{{ env "HOME" }} {{ index .steps "s" "value" }} {{ $.vars.v }} {{ $.workflow.name }}')).toBe("</home/u> <S> <V> w");
  expect(parts('{{ if eq .vars.v "V" }}--yes{{ end }}')).toBe("--yes");
  expect(parts("{{ .vars.v | quote }} {{ \"a b\" | quote }} {{ \"x y\" | words }} {{ .vars.list | join \" \" | words }}")).toBe("<V> 'a b' x y <a> <b>");
});

test("validate finds the refusals and the uses of words statically, at the action", () => {
  const findings = (template: string, dialect: Dialect = "posix") => codeFindings(compileTemplate(template).nodes, dialect).map((f) => `${f.kind}@${f.offset}`);
  expect(findings("cat <<'EOF'\n{{ .vars.v }}\nEOF")).toEqual(["refused@12"]);
  expect(findings("cat <<'EOF'\n{{ .workflow.name }} {{ .matrix.x }}\nEOF")).toEqual([]);
  expect(findings("echo {{ .vars.v }} \"{{ .steps.a.value }}\" '{{ .env.X }}'")).toEqual([]);
  expect(findings("echo `{{ .vars.v }}`")).toEqual(["refused@6"]);
  expect(findings("{{ range .vars.l }}echo $(( {{ . }} )){{ end }}")).toEqual(["refused@28"]);
  expect(findings("{{ range .matrix.l }}echo $(( {{ . }} )){{ end }}")).toEqual([]);
  expect(findings("tool {{ .vars.flags | words }}")).toEqual(["words@5"]);
  expect(findings("print('{{ .vars.v }}')", "program:python3")).toEqual(["refused@7"]);
  expect(findings("print('{{ .workflow.name }}')", "program:python3")).toEqual([]);
  expect(findings("echo {{ env \"HOME\" }}", "cmd")).toEqual(["refused@5"]);
});

test("validate skips the shell scan only where no action can print a value from outside", () => {
  const findings = (template: string) => codeFindings(compileTemplate(template).nodes, "posix").map((f) => `${f.kind}@${f.offset}`);
  // Nothing from outside anywhere: nothing to find, however the text reads.
  expect(findings("echo `{{ .step.name }}` {{ $.workflow.name }} {{ if .matrix.x }}`{{ . }}`{{ end }}")).toEqual([]);
  // A value from outside reached through a variable, a nested pipe, a data function or an if's branches is still found.
  expect(findings("{{ $x := .workflow.name }}{{ $y := .vars.v }}echo `{{ $y }}`")).toEqual(["refused@51"]);
  expect(findings("echo `{{ printf \"%s\" (.vars.v) }}`")).toEqual(["refused@6"]);
  expect(findings("echo `{{ env \"HOME\" }}`")).toEqual(["refused@6"]);
  expect(findings("{{ if .matrix.x }}x{{ else }}echo `{{ $.vars.v }}`{{ end }}")).toEqual(["refused@35"]);
});

test("posix: a value that another parser would read as code (sh -c '...', eval, ssh, python3 -c, a here-document read by bash) is refused", () => {
  const refusal = (template: string) => {
    try {
      render(template, "$(touch x)", "posix");
      return "rendered";
    } catch (e) {
      return (e as Error).message.replace(/^.*cannot be passed here as data: /, "");
    }
  };
  expect(refusal("sh -c 'echo {{ .vars.v | quote }}'")).toMatch(/^it is the code given to sh -c, which parses the value again/);
  expect(refusal(`bash -lc "echo {{ .vars.v }}"`)).toMatch(/^it is the code given to bash -lc/);
  expect(refusal("docker exec app sh -c 'echo {{ .vars.v }}'")).toMatch(/code given to sh -c/);
  expect(refusal("python3 -c 'print(\"{{ .vars.v }}\")'")).toMatch(/code given to python3 -c/);
  expect(refusal("perl -e 'print q({{ .vars.v }})'")).toMatch(/code given to perl -e/);
  expect(refusal("eval echo {{ .vars.v }}")).toMatch(/^it is an argument of eval, which hands it to a shell/);
  expect(refusal("ssh host ls {{ .vars.v }}")).toMatch(/argument of ssh/);
  expect(refusal("bash <<EOF\necho {{ .vars.v }}\nEOF")).toMatch(/here-document that bash reads as code/);
  // Data for programs that do not parse it again stays allowed.
  expect(refusal("docker run -e NAME={{ .vars.v }} img")).toBe("rendered");
  expect(refusal("grep -e {{ .vars.v }} file")).toBe("rendered");
  expect(refusal("sh -c 'echo \"$1\"' sh {{ .vars.v }}")).toBe("rendered");
  expect(refusal("cat > out <<EOF\n{{ .vars.v }}\nEOF\nsh -c 'true'")).toBe("rendered");
  expect(refusal("true; echo {{ .vars.v }}")).toBe("rendered");
});
