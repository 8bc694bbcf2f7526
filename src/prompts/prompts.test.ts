import { describe, expect, test } from "bun:test";
import { parseDocument } from "yaml";
import { createColors } from "../output/colors.ts";
import { applyAtmosTags } from "../workflow/yaml-tags.ts";
import { ConfirmView } from "./confirm-view.ts";
import { EditorView } from "./editor-view.ts";
import { fuzzyMatch, rankOptions } from "./fuzzy.ts";
import { type Key, parseKeys } from "./keys.ts";
import { ListView } from "./list-view.ts";
import { fitWidth, visibleLength } from "./screen.ts";
import { TextView } from "./text-view.ts";
import type { PromptView } from "./view.ts";

const plain = createColors(false);
const type = <T>(view: PromptView<T>, input: string) => parseKeys(input).map((key: Key) => view.key(key)).filter(Boolean).at(-1);

describe("keys", () => {
  test("arrows, enter, backspace, Ctrl-C and text; a lone ESC is the Esc key; unknown sequences are skipped whole", () => {
    expect(parseKeys("a\x1b[B\r\x7f\x03")).toEqual([{ name: "char", text: "a" }, { name: "down" }, { name: "enter" }, { name: "backspace" }, { name: "ctrl-c" }]);
    expect(parseKeys("\x1b")).toEqual([{ name: "escape" }]);
    expect(parseKeys("\x1b[15~x")).toEqual([{ name: "char", text: "x" }]);
    expect(parseKeys("\x1b\r\n é")).toEqual([{ name: "newline" }, { name: "newline" }, { name: "space", text: " " }, { name: "char", text: "é" }]);
    expect(parseKeys("\r\n")).toEqual([{ name: "enter" }]);
  });
});

describe("fuzzy", () => {
  test("characters in order, case-insensitive; contiguous and boundary matches rank first", () => {
    expect(fuzzyMatch("ue1", "us-east-1")?.positions).toEqual([0, 3, 8]);
    expect(fuzzyMatch("X", "us-east-1")).toBeUndefined();
    expect(rankOptions("west", ["us-east-1", "eu-west-1", "us-west-2"]).map((m) => m.index)).toEqual([1, 2]);
    expect(rankOptions("usw", ["us-east-1", "eu-west-1", "us-west-2"]).map((m) => m.index)).toEqual([2]);
    expect(rankOptions("", ["b", "a"]).map((m) => m.index)).toEqual([0, 1]);
  });
});

describe("views", () => {
  test("text: editing keys, and an empty entry takes the default; a password is never shown", () => {
    const view = new TextView({ prompt: "Name", defaultValue: "anon" });
    expect(type(view, "hlo\x1b[D\x1b[Del\r")).toBe("submit");
    expect(view.answer()).toBe("hello");
    const empty = new TextView({ prompt: "Name", defaultValue: "anon" });
    expect(type(empty, "\r")).toBe("submit");
    expect(empty.answer()).toBe("anon");
    const secret = new TextView({ prompt: "Password", password: true });
    type(secret, "s3cret");
    expect(secret.frame(plain).lines.join("\n")).not.toContain("s3cret");
    expect(secret.frame(plain).lines[1]).toBe("  › ••••••");
    expect(secret.shown()).toBe("••••••");
  });

  test("confirm: y/n answer at once, arrows toggle, the marked one is bracketed", () => {
    const view = new ConfirmView("Deploy?", true);
    expect(view.frame(plain).lines[1]).toBe("  › [Yes]  No ");
    type(view, "\x1b[C");
    expect(view.frame(plain).lines[1]).toBe("  ›  Yes  [No]");
    expect(type(new ConfirmView("Deploy?", true), "n")).toBe("submit");
    const no = new ConfirmView("Deploy?", true);
    type(no, "N");
    expect(no.answer()).toBe(false);
  });

  test("list: the default is highlighted, arrows wrap, Esc aborts", () => {
    const view = new ListView({ prompt: "Env", options: ["a", "b", "c"], initial: ["b"] });
    expect(view.frame(plain).lines).toEqual(["? Env", "    a", "  ❯ b", "    c", "  ↑/↓ move · enter select · esc cancel"]);
    expect(type(view, "\x1b[B\x1b[B\r")).toBe("submit");
    expect(view.answer()).toEqual(["a"]);
    expect(type(new ListView({ prompt: "Env", options: ["a"] }), "\x1b")).toBe("abort");
  });

  test("list with a limit: space ticks up to the limit, answers in option order, Enter with none ticked takes the highlighted", () => {
    const view = new ListView({ prompt: "Regions", options: ["x", "y", "z"], limit: 2, filterable: true });
    type(view, "\x1b[B \x1b[A \x1b[B\x1b[B ");
    expect(view.frame(plain).lines).toContain("  at most 2 may be selected");
    expect(type(view, "\r")).toBe("submit");
    expect(view.answer()).toEqual(["x", "y"]);
    const none = new ListView({ prompt: "Regions", options: ["x", "y"], limit: 2 });
    type(none, "\x1b[B\r");
    expect(none.answer()).toEqual(["y"]);
  });

  test("list filtering: typing narrows, Backspace widens, no match says so and Enter does nothing", () => {
    const view = new ListView({ prompt: "Region", options: ["us-east-1", "us-west-2", "eu-west-1"], filterable: true });
    type(view, "usw");
    expect(view.frame(plain).lines.filter((l) => l.includes("-"))).toEqual(["  ❯ us-west-2"]);
    expect(type(view, "q\r")).toBeUndefined();
    expect(view.frame(plain).lines).toContain('    no option matches "uswq"');
    type(view, "\x7f\r");
    expect(view.answer()).toEqual(["us-west-2"]);
  });

  test("editor: Ctrl-J and Alt-Enter start lines, Backspace joins them, Enter submits", () => {
    const view = new EditorView({ prompt: "Notes", height: 2 });
    expect(type(view, "one\ntwo\x1b\rthree\x7f\x7f\x7f\x7f\x7f\x7f\r")).toBe("submit");
    expect(view.answer()).toBe("one\ntwo");
    expect(view.shown()).toBe("one … (2 lines)");
  });
});

describe("screen", () => {
  test("lines are cut to the width with … and escape sequences take no columns", () => {
    expect(fitWidth("abcdef", 4)).toBe("abc…");
    expect(visibleLength("\x1b[36mab\x1b[39m")).toBe(2);
    expect(visibleLength(fitWidth(`\x1b[1m${"x".repeat(100)}\x1b[22m`, 79))).toBe(79);
  });
});

describe("YAML tags", () => {
  test("Atmos' tags load as their text, !literal drops its tag, an unknown tag is reported", () => {
    const doc = parseDocument("a: !env STAGE dev\nb: !literal '{{ x }}'\nc: !terraform.output vpc id\nd: !nope x\ne: !!str 3\n");
    const unknown = applyAtmosTags(doc.contents as never);
    expect(unknown.map((u) => u.tag)).toEqual(["!nope"]);
    expect(doc.toJS()).toEqual({ a: "!env STAGE dev", b: "{{ x }}", c: "!terraform.output vpc id", d: "x", e: "3" });
  });
});
