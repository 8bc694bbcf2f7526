import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar } from "../files/tar.ts";
import { buildContext, ignored, parseDockerignore } from "./build-context.ts";

/** The whole archive a context streams. */
const tarOf = async (context: { stream(): ReadableStream<Uint8Array> }) => new Uint8Array(await new Response(context.stream()).arrayBuffer());

const root = mkdtempSync(join(tmpdir(), "muster-build-context-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test(".dockerignore rules: globs, ** across directories, a directory takes what is below it, ! re-includes, the last match decides", () => {
  const rules = parseDockerignore("# comment\n\n/node_modules\n**/*.log\n!important.log\ndocs/\n./tmp/*\n");
  expect(ignored(rules, "node_modules")).toBe(true);
  expect(ignored(rules, "node_modules/x/index.js")).toBe(true);
  expect(ignored(rules, "a/b/debug.log")).toBe(true);
  expect(ignored(rules, "debug.log")).toBe(true);
  expect(ignored(rules, "important.log")).toBe(false);
  expect(ignored(rules, "docs/guide/intro.md")).toBe(true);
  expect(ignored(rules, "tmp/x")).toBe(true);
  expect(ignored(rules, "tmp")).toBe(false);
  expect(ignored(rules, "src/app.ts")).toBe(false);
});

test("the context's tar holds what is not ignored, the Dockerfile always, and one from outside under a name of its own", async () => {
  const ctx = join(root, "ctx");
  mkdirSync(join(ctx, "build/out"), { recursive: true });
  writeFileSync(join(ctx, ".dockerignore"), "build\nDockerfile\n*.secret\n!build/out/keep.txt\n");
  writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(ctx, "a.txt"), "a");
  writeFileSync(join(ctx, "key.secret"), "s");
  writeFileSync(join(ctx, "build/out/keep.txt"), "k");
  writeFileSync(join(ctx, "build/out/drop.txt"), "d");
  const inside = await buildContext(ctx, "Dockerfile");
  expect(inside.dockerfile).toBe("Dockerfile");
  expect(readTar(await tarOf(inside), "ctx.tar").filter((e) => e.kind === "file").map((e) => e.name).sort()).toEqual([".dockerignore", "Dockerfile", "a.txt", "build/out/keep.txt"]);
  writeFileSync(join(root, "Other.Dockerfile"), "FROM scratch\n");
  const outside = await buildContext(ctx, "../Other.Dockerfile");
  expect(outside.dockerfile).toMatch(/^\.muster-dockerfile-[0-9a-f]{8}$/);
  const entry = readTar(await tarOf(outside), "ctx.tar").find((e) => e.name === outside.dockerfile)!;
  expect(new TextDecoder().decode(await entry.read())).toBe("FROM scratch\n");
});
