import { expect, test } from "bun:test";
import { fieldOnlyNodes } from "./field-only.ts";
import { isFunction, suggestFunction } from "./functions.ts";
import { parse } from "./parser.ts";

test("a template of lone field chains gets the parser's very tree", () => {
  for (const text of [
    "echo {{ .step.name }} 0",
    "{{.a}}{{ $.b.c }}x",
    "{{ .workflow.name }}",
    "a }} b {{ .vars.x_1.Y }}}} c",
    "{{   .if.end   }}\n{{ $.matrix.os }}",
    "no action at all",
  ]) {
    expect(fieldOnlyNodes(text)).toEqual(parse(text, isFunction, suggestFunction));
  }
});

test("anything more than a lone field chain is left to the parser", () => {
  for (const text of [
    "{{ .x | upper }}",
    "{{ .a .b }}",
    "{{- .a }}",
    "{{ .a -}}",
    "{{\t.a }}",
    "{{ . }}",
    "{{ $ }}",
    "{{ $x }}",
    "{{ .é }}",
    "{{ .a }} {{ if .b }}y{{ end }}",
    "{{/* note */}}",
    "{{ .a",
    "{{ .a.}}",
  ]) {
    expect(fieldOnlyNodes(text)).toBeUndefined();
  }
});
