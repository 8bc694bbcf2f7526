import { describe, expect, test } from "bun:test";
import { TemplateError } from "../errors.ts";
import { compileTemplate, lineAndColumn, renderTemplate, TEMPLATE_FUNCTIONS } from "./index.ts";

const data = {
  vars: { env: "prod east", empty: "", n: 3, list: ["a", "b", "c"], csv: "x,y,z" },
  stack: "dev",
  step: { name: "lint" },
  env: { HOME: "/root" },
  steps: { build: { value: "v1.2.3", metadata: { exit_code: 0 }, stdout: "v1.2.3\n" }, "my-step": { value: "hy" } },
  m: { b: 2, a: 1 },
  t: true,
  f: false,
  nothing: null,
};
const render = (text: string, options = {}) => renderTemplate(text, data, options);

/** The error a render throws, with its position in the template. */
function failure(text: string): { message: string; line: number; col: number } {
  try {
    render(text);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return { message: error.message, ...lineAndColumn(text, error.offset ?? 0) };
  }
  throw new Error(`expected ${text} to fail`);
}

describe("actions and fields", () => {
  test("text, fields, nested fields, dot and $", () => {
    expect(render("{{ .stack }}/{{ .step.name }} {{.env.HOME}}")).toBe("dev/lint /root");
    expect(render("{{ $.stack }}")).toBe("dev");
    expect(render("{{ .steps.build.metadata.exit_code }}")).toBe("0");
    expect(render("plain $HOME")).toBe("plain $HOME");
  });
  test("hyphenated names are fields (muster) and index keys (Go)", () => {
    expect(render("{{ .steps.my-step.value }}")).toBe("hy");
    expect(render('{{ index .steps "my-step" "value" }}')).toBe("hy");
  });
  test("values print as Go prints them", () => {
    expect(render("{{ .m }}")).toBe("map[a:1 b:2]");
    expect(render("{{ .vars.list }}")).toBe("[a b c]");
    expect(render("{{ .nothing }}")).toBe("<no value>");
    expect(render("{{ 1.5 }} {{ 10 }} {{ true }} {{ 0x10 }} {{ 'a' }}")).toBe("1.5 10 true 16 97");
  });
  test("missing keys are errors naming the key, positioned", () => {
    expect(failure("x {{ .vars.region }}")).toMatchObject({ message: expect.stringContaining('map has no entry for key "region"'), line: 1, col: 6 });
    expect(failure("a\n  {{ .nope.x }}")).toMatchObject({ line: 2, col: 6 });
    expect(failure("{{ .stack.x }}").message).toContain("can't evaluate field x in type string");
    expect(failure("{{ .nothing.x }}").message).toContain("nil pointer evaluating .nothing.x");
  });
  test("a missing key piped into default gives the default (muster's extension)", () => {
    expect(render('{{ .vars.region | default "us-east-1" }}')).toBe("us-east-1");
    expect(render('{{ .vars.empty | default "d" }}')).toBe("d");
    expect(render('{{ default "z" .vars.nope }}')).toBe("z");
  });
  test("comments and trim markers", () => {
    expect(render("a  {{- .stack -}}  b")).toBe("adevb");
    expect(render("a {{/* note */}} b")).toBe("a  b");
    expect(render("a {{- /* note */ -}} b")).toBe("ab");
    expect(render("{{-3}}")).toBe("-3");
  });
});

describe("pipelines, calls and variables", () => {
  test("pipes pass the value as the last argument", () => {
    expect(render('{{ .stack | printf "%s-%s" "x" }}')).toBe("x-dev");
    expect(render("{{ .vars.env | upper | lower }}")).toBe("prod east");
  });
  test("parenthesised calls and fields of their results", () => {
    expect(render('{{ (index .steps "build").value }}')).toBe("v1.2.3");
    expect(render('{{ len (splitList "," .vars.csv) }}')).toBe("3");
  });
  test("variables: declare, assign, scope", () => {
    expect(render("{{ $x := .stack }}{{ $x }}")).toBe("dev");
    expect(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}')).toBe("2");
    expect(failure("{{ $y }}")).toMatchObject({ message: 'undefined variable "$y"', col: 4 });
  });
  test("a value cannot take arguments", () => {
    expect(failure('{{ .stack "x" }}').message).toContain("can't give argument to non-function .stack");
    expect(failure("{{ nil }}").message).toBe("nil is not a command");
  });
});

describe("control structures", () => {
  test("if / else if / else", () => {
    const t = '{{ if eq .stack "prod" }}P{{ else if eq .stack "dev" }}D{{ else }}O{{ end }}';
    expect(render(t)).toBe("D");
    expect(render("{{ if .vars.empty }}y{{ else }}n{{ end }}")).toBe("n");
    expect(render("{{ if $v := .stack }}{{ $v }}{{ else }}{{ $v }}!{{ end }}")).toBe("dev");
  });
  test("range over lists, maps, integers; else; break and continue", () => {
    expect(render("{{ range .vars.list }}[{{ . }}]{{ end }}")).toBe("[a][b][c]");
    expect(render("{{ range $i, $v := .vars.list }}{{ $i }}={{ $v }} {{ end }}")).toBe("0=a 1=b 2=c ");
    expect(render("{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}")).toBe("a1b2");
    expect(render("{{ range 3 }}{{ . }}{{ end }}")).toBe("012");
    expect(render("{{ range .nothing }}x{{ else }}none{{ end }}")).toBe("none");
    expect(render('{{ range .vars.list }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ if eq . "c" }}{{ break }}{{ end }}{{ . }}{{ end }}')).toBe("a");
  });
  test("with / else with", () => {
    expect(render("{{ with .steps.build }}{{ .value }}{{ end }}")).toBe("v1.2.3");
    expect(render("{{ with .vars.empty }}x{{ else with .stack }}{{ . }}{{ end }}")).toBe("dev");
  });
  test("structure errors are positioned", () => {
    expect(failure("{{ if .t }}x")).toMatchObject({ message: expect.stringContaining("has no {{end}}"), col: 1 });
    expect(failure("ok {{ end }}").message).toContain("unexpected {{end}}");
    expect(failure("{{ break }}").message).toContain("outside {{range}}");
    expect(failure('{{ define "x" }}{{ end }}').message).toContain("not supported");
    expect(failure("{{ .stack ")).toMatchObject({ message: expect.stringContaining("unclosed action"), col: 1 });
    expect(failure('{{ "abc }}').message).toContain("unterminated quoted string");
  });
});

describe("Go's predefined functions", () => {
  test("comparison and logic", () => {
    expect(render('{{ eq .stack "dev" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }}')).toBe("true true true true true false");
    expect(render('{{ eq .stack "x" "dev" }}')).toBe("true");
    expect(render("{{ and 1 0 }} {{ or 0 \"\" 5 }} {{ not .f }}")).toBe("0 5 true");
    // and/or stop at the deciding argument: the missing key is never read.
    expect(render("{{ or .t .missing.key }}")).toBe("true");
    expect(failure('{{ eq 1 "1" }}').message).toContain("incompatible types for comparison");
  });
  test("len, index, slice, print, printf, println", () => {
    expect(render("{{ len .vars.list }} {{ len .m }} {{ len .stack }}")).toBe("3 2 3");
    expect(render("{{ index .vars.list 1 }} {{ index .m \"a\" }}")).toBe("b 1");
    expect(render("{{ slice .vars.list 1 }} {{ slice .stack 0 2 }}")).toBe("[b c] de");
    expect(render('{{ print 1 2 "a" 3 }}|{{ println "x" 1 }}|{{ printf "%-4s|%03d|%.2f|%q|%v|%t|%x" "ab" 7 3.14159 "q" .m true 255 }}')).toBe(
      '1 2a3|x 1\n|ab  |007|3.14|"q"|map[a:1 b:2]|true|ff',
    );
    expect(render("{{ html \"<a&b>\" }} {{ js \"it's\" }} {{ urlquery \"a b&c\" }}")).toBe("&lt;a&amp;b&gt; it\\'s a+b%26c");
    expect(failure("{{ index .vars.list 5 }}").message).toContain("index out of range");
  });
  test("unknown functions are parse errors with a suggestion", () => {
    expect(failure("{{ .stack | uper }}")).toMatchObject({ message: 'function "uper" not defined (did you mean "upper"?)', col: 13 });
    expect(failure("{{ shout .stack }}").message).toBe('function "shout" not defined');
    expect(failure("{{ upper }}").message).toBe("wrong number of args for upper: want 1 got 0");
  });
});

describe("Sprig functions", () => {
  const cases: Array<[string, string]> = [
    ['{{ "" | default "d" }}', "d"],
    ['{{ "x" | quote }}', '"x"'],
    ['{{ "x" | squote }}', "'x'"],
    ['{{ "hello world" | upper }}', "HELLO WORLD"],
    ['{{ "HeLLo" | lower }}', "hello"],
    ['{{ "hello world" | title }}', "Hello World"],
    ['{{ "  x  " | trim }}', "x"],
    ['{{ "v1.2" | trimPrefix "v" }}', "1.2"],
    ['{{ "a.yaml" | trimSuffix ".yaml" }}', "a"],
    ['{{ "a-b-c" | replace "-" "_" }}', "a_b_c"],
    ['{{ (split "," "a,b")._1 }}', "b"],
    ['{{ splitList "," "a,b" }}', "[a b]"],
    ['{{ list "a" "b" | join "+" }}', "a+b"],
    ['{{ contains "ell" "hello" }}', "true"],
    ['{{ hasPrefix "he" "hello" }} {{ hasSuffix "lo" "hello" }}', "true true"],
    ['{{ dict "a" 1 "b" (list 1 2) | toJson }}', '{"a":1,"b":[1,2]}'],
    ['{{ (fromJson "{\\"k\\":[1,2]}").k }}', "[1 2]"],
    ['{{ list 1 "a" }}', "[1 a]"],
    ['{{ get (dict "a" "x") "a" }}{{ get (dict) "z" }}', "x"],
    ['{{ hasKey .m "a" }} {{ hasKey .m "z" }}', "true false"],
    ["{{ keys .m | sortAlpha }}", "[a b]"],
    ['{{ required "need it" .stack }}', "dev"],
    ['{{ ternary "yes" "no" .t }} {{ ternary "yes" "no" .f }}', "yes no"],
    ['{{ "hi" | b64enc }} {{ "aGk=" | b64dec }}', "aGk= hi"],
    ['{{ "abc" | sha256sum }}', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ['{{ regexMatch "^v[0-9]+" "v12" }}', "true"],
    ['{{ regexReplaceAll "(a+)b" "xaab" "${1}-" }}', "xaa-"],
    ['{{ regexReplaceAll "(?P<n>a+)b" "aab" "<${n}>" }}', "<aa>"],
    ["{{ 42 | toString }} {{ toString .t }}", "42 true"],
    ['{{ atoi "42" | add 1 }} {{ atoi "x" }}', "43 0"],
    ['{{ add 1 2 3 }} {{ sub 10 4 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 }} {{ min 1 5 }}', "6 6 6 3 1 5 1"],
    ['{{ env "MUSTER_T" }}', "from-env"],
    ['{{ now | date "2006-01-02T15:04:05Z07:00" }}', "2026-11-23T05:04:03Z"],
    ['{{ date "Jan 2, 2006 3:04PM" (now) }}', "Nov 23, 2026 5:04AM"],
    ['{{ coalesce "" .vars.empty "c" }} {{ empty "" }} {{ "a b" | nospace }}', "c true ab"],
    ['{{ list 1 1 2 | uniq }} {{ list 3 | append (list 1) }}', "[1 2] [1 [3]]"],
    ['{{ "ab" | repeat 2 }} {{ substr 1 3 "abcd" }} {{ trunc 2 "abcd" }}', "abab bc ab"],
    ['{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ ext "b.tar.gz" }}', "b.txt /a .gz"],
    ['{{ "ab\\ncd" | indent 2 }}', "  ab\n  cd"],
  ];
  const options = { env: { MUSTER_T: "from-env" }, now: () => new Date(Date.UTC(2026, 10, 23, 5, 4, 3)) };
  for (const [template, expected] of cases) {
    test(template, () => expect(renderTemplate(template, data, options)).toBe(expected));
  }
  test("required fails with its message, at its position", () => {
    expect(failure('x {{ required "set .vars.token" .vars.empty }}')).toMatchObject({ message: "set .vars.token", col: 6 });
  });
  test("in command fields quote and squote quote for the shell", () => {
    const shell = { quoteStyle: "shell" as const };
    expect(renderTemplate("echo {{ .x | quote }}", { x: "$(touch /tmp/pwned)" }, shell)).toBe("echo '$(touch /tmp/pwned)'");
    expect(renderTemplate("echo {{ .x | squote }}", { x: "it's" }, shell)).toBe("echo 'it'\\''s'");
    expect(renderTemplate("{{ .x | quote }}", { x: 'a"b' })).toBe('"a\\"b"');
  });
  test("the function list covers what Atmos workflow files use", () => {
    for (const name of ["default", "quote", "squote", "upper", "lower", "title", "trim", "trimPrefix", "trimSuffix", "replace", "split", "splitList", "join", "contains", "hasPrefix", "hasSuffix", "toJson", "fromJson", "list", "dict", "get", "hasKey", "keys", "env", "required", "ternary", "b64enc", "b64dec", "sha256sum", "now", "date", "regexMatch", "regexReplaceAll", "toString", "atoi", "add", "sub"]) {
      expect(TEMPLATE_FUNCTIONS).toContain(name);
    }
  });
});

describe("references", () => {
  test("root fields, $-fields and index with literal keys; not inside with/range bodies", () => {
    const refs = compileTemplate('{{ .steps.a.value }}{{ $.vars.x }}{{ index .steps "b-c" "value" }}{{ with .steps.d }}{{ .value }}{{ end }}').references;
    expect(refs.map((r) => r.path.join("."))).toEqual(["steps.a.value", "vars.x", "steps.b-c.value", "steps.d"]);
  });
});
