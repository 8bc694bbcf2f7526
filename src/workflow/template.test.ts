import { describe, expect, test } from "bun:test";
import { renderTemplate } from "./template.ts";

const data = { vars: { env: "prod east", empty: "" }, stack: "dev", step: { name: "lint" }, env: { HOME: "/root" } };

describe("renderTemplate", () => {
  test("substitutes fields", () => {
    expect(renderTemplate("{{ .stack }}/{{ .step.name }} {{.env.HOME}}", data)).toBe("dev/lint /root");
  });
  test("pipes through quote and default", () => {
    expect(renderTemplate("x {{ .vars.env | quote }}", data)).toBe("x 'prod east'");
    expect(renderTemplate("{{ .vars.region | default \"us-east-1\" }}", data)).toBe("us-east-1");
    expect(renderTemplate("{{ .vars.empty | default \"d\" | quote }}", data)).toBe("d");
    expect(renderTemplate('{{ default "z" .vars.nope }}', data)).toBe("z");
  });
  test("quote neutralises shell syntax", () => {
    expect(renderTemplate("echo {{ .vars.x | quote }}", { vars: { x: "$(touch /tmp/pwned)" } })).toBe(
      "echo '$(touch /tmp/pwned)'",
    );
  });
  test("trim markers", () => {
    expect(renderTemplate("a  {{- .stack -}}  b", data)).toBe("adevb");
  });
  test("a missing key is an error naming it", () => {
    expect(() => renderTemplate("{{ .vars.region }}", data)).toThrow('missing key ".vars.region"; pass it with --var region=VALUE (known: .vars.env, .vars.empty)');
    expect(() => renderTemplate("{{ .nope }}", data)).toThrow('missing key ".nope"');
  });
  test("unknown functions and unclosed actions are errors", () => {
    expect(() => renderTemplate("{{ .stack | shout }}", data)).toThrow('unknown function "shout"');
    expect(() => renderTemplate("{{ .stack ", data)).toThrow("unclosed action");
  });
  test("text without actions is returned as is", () => {
    expect(renderTemplate("plain $HOME", data)).toBe("plain $HOME");
  });
});
