import { describe, expect, test } from "bun:test";
import { shellQuote, splitShellWords } from "./shell-words.ts";

describe("splitShellWords", () => {
  test("splits on blanks and honours quotes", () => {
    expect(splitShellWords(`terraform plan vpc -var 'name=a b' -- "x \\"y\\"" z\\ w`)).toEqual([
      "terraform", "plan", "vpc", "-var", "name=a b", "--", 'x "y"', "z w",
    ]);
  });
  test("keeps empty quoted words", () => {
    expect(splitShellWords(`a '' b`)).toEqual(["a", "", "b"]);
  });
  test("rejects unterminated quotes", () => {
    expect(() => splitShellWords(`a 'b`)).toThrow("unterminated single quote");
  });
});

describe("shellQuote", () => {
  test("round-trips through the splitter", () => {
    for (const value of ["plain", "a b", "it's", "$(touch /tmp/x)", "", "`x`"]) {
      expect(splitShellWords(shellQuote(value))).toEqual([value]);
    }
  });
});

test("keepTemplates: a {{ ... }} action is one piece of a word, whatever spaces or quotes it holds", () => {
  expect(splitShellWords(`plan {{ .vars.c | default "a b" }} -var 'x={{ .vars.y }} z' "{{ .vars.q }}"`, { keepTemplates: true })).toEqual([
    "plan", `{{ .vars.c | default "a b" }}`, "-var", "x={{ .vars.y }} z", "{{ .vars.q }}",
  ]);
  expect(splitShellWords(`a {{ x }}`)).toEqual(["a", "{{", "x", "}}"]);
});

