/**
 * Finding workflow files the way Atmos does: `atmos.yaml` (from the current
 * directory upward, or `ATMOS_CLI_CONFIG_PATH`) gives `workflows.base_path`;
 * without one, the current directory is the workflows directory.
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { isWithin } from "../files/paths.ts";
import { DiscoveryError } from "../errors.ts";
import { formatDiagnostic, formatWarning, suggest, type Diagnostic, type Warning } from "../workflow/diagnostics.ts";
import { cacheDir, readParsed, writeParsed } from "./parse-cache.ts";
import { parseWorkflowFile } from "./parse.ts";
import { loadAllKinds, loadKinds, typesNamedIn } from "../steps/index.ts";
import { fastYaml } from "../workflow/yaml-fast.ts";
import { loadYamlLibrary } from "../workflow/yaml-library.ts";
import { loadCel } from "../workflow/condition.ts";
import { MAX_DEPTH, MAX_FILE_BYTES } from "../workflow/yaml-source.ts";
import type { Workflow, WorkflowFile } from "../workflow/types.ts";
import { platform } from "../platform/index.ts";

/** Where a run's files are. */
export interface Project {
  cwd: string;
  /** The atmos.yaml found, if any. */
  configFile?: string;
  /** Atmos' base path: relative working directories resolve against it. */
  basePath: string;
  workflowsDir: string;
  /** atmos.yaml's `ci:` settings (`ci.enabled`, `ci.groups.mode`). */
  ci?: { enabled?: boolean; groupsMode?: string };
  /** Files muster read nothing from, and why (an atmos.yaml another user could have planted). */
  warnings?: string[];
  /** `MUSTER_CONFINE` (set by `serve` to the checkout), resolved: no file muster reads may lie outside it. */
  confine?: string;
}

export { DiscoveryError };

/**
 * Whether `path` is a file (following links). Synchronous: the search for
 * atmos.yaml asks up to five of these per directory up to the repository's
 * root before anything runs, and a promise round trip each cost about a
 * millisecond of every start-up.
 */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Why an atmos.yaml found by searching must not be trusted, as git's
 * `safe.directory` rule (CVE-2022-24765): it belongs to another user (not
 * root), or its directory is writable by everyone, where anyone could have
 * put it.
 */
async function untrustedConfig(file: string): Promise<string | undefined> {
  if (platform.os === "windows") return undefined;
  const [info, dir] = await Promise.all([stat(file), stat(dirname(file))]);
  const me = userInfo().uid;
  if (info.uid !== me && info.uid !== 0) return `it belongs to user ${info.uid}, not to you (${me}) or root`;
  if (dir.mode & 0o002) return `its directory ${dirname(file)} is writable by everyone`;
  return undefined;
}

async function findConfig(cwd: string, env: Record<string, string | undefined>, warnings: string[], confine?: string): Promise<string | undefined> {
  const configured = env.ATMOS_CLI_CONFIG_PATH;
  if (configured) {
    const path = resolve(cwd, configured);
    for (const candidate of [path, join(path, "atmos.yaml"), join(path, "atmos.yml")]) {
      if (isFile(candidate)) return candidate;
    }
    throw new DiscoveryError(`ATMOS_CLI_CONFIG_PATH=${configured}: no atmos.yaml there (expected a directory holding atmos.yaml, or the file itself)`);
  }
  // Upward, but never past the repository's root (a directory holding .git) or the confinement:
  // an atmos.yaml above the checkout is not the project's.
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const name of ["atmos.yaml", "atmos.yml", ".atmos.yaml", ".atmos.yml"]) {
      const candidate = join(dir, name);
      if (!isFile(candidate)) continue;
      const why = await untrustedConfig(candidate);
      if (!why) return candidate;
      warnings.push(`ignored ${candidate}: ${why} (set ATMOS_CLI_CONFIG_PATH to use it anyway)`);
    }
    if (confine !== undefined && dir === confine) return undefined;
    if (existsSync(join(dir, ".git"))) return undefined;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Refuses a file whose real path leaves the confinement (a symlink to /etc/passwd in the repository). */
export async function checkConfined(project: Project, path: string, what: string): Promise<void> {
  if (project.confine === undefined) return;
  const real = await realpath(path).catch(() => path);
  if (!isWithin(project.confine, real)) {
    throw new DiscoveryError(`${what} ${displayPath(project, path)} resolves to ${real}, outside the checkout ${project.confine} (expected files inside it; symbolic links out of the checkout are refused)`);
  }
}

/**
 * Locates the project for `cwd`.
 *
 * @example
 * ```ts
 * const project = await findProject(platform.cwd(), platform.env());
 * project.workflowsDir; // "/repo/stacks/workflows"
 * ```
 */
export async function findProject(cwd: string, env: Record<string, string | undefined>): Promise<Project> {
  const warnings: string[] = [];
  const confine = env.MUSTER_CONFINE ? await realpath(resolve(cwd, env.MUSTER_CONFINE)) : undefined;
  const configFile = await findConfig(confine && isWithin(confine, cwd) ? cwd : confine ?? cwd, env, warnings, confine);
  if (!configFile) {
    const workflowsDir = env.ATMOS_WORKFLOWS_BASE_PATH ? resolve(cwd, env.ATMOS_WORKFLOWS_BASE_PATH) : cwd;
    const project = { cwd, basePath: cwd, workflowsDir, warnings, confine };
    await checkConfined(project, workflowsDir, "the workflows directory");
    return project;
  }
  let config: { base_path?: unknown; workflows?: { base_path?: unknown }; ci?: { enabled?: unknown; groups?: { mode?: unknown } } } = {};
  try {
    const text = await readFile(configFile, "utf8");
    // The runtime's parser when it has one (only a few keys are read); the library's message otherwise, and for errors.
    let parsed: unknown;
    try {
      parsed = platform.parseYaml ? platform.parseYaml(text) : (await loadYamlLibrary()).parse(text);
    } catch {
      parsed = (await loadYamlLibrary()).parse(text);
    }
    config = (parsed as typeof config) ?? {};
  } catch (error) {
    throw new DiscoveryError(`${relative(cwd, configFile) || configFile}: invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const configDir = dirname(configFile);
  const baseRaw = env.ATMOS_BASE_PATH ?? (typeof config.base_path === "string" ? config.base_path : "");
  const basePath = resolve(configDir, baseRaw || ".");
  const workflowsRaw = env.ATMOS_WORKFLOWS_BASE_PATH ?? (typeof config.workflows?.base_path === "string" ? config.workflows.base_path : "");
  const workflowsDir = resolve(basePath, workflowsRaw || ".");
  const ci = config.ci && typeof config.ci === "object"
    ? {
      enabled: typeof config.ci.enabled === "boolean" ? config.ci.enabled : undefined,
      groupsMode: typeof config.ci.groups?.mode === "string" ? config.ci.groups.mode : undefined,
    }
    : undefined;
  const project = { cwd, configFile, basePath, workflowsDir, ci, warnings, confine };
  await checkConfined(project, configFile, "atmos.yaml");
  await checkConfined(project, basePath, "base_path");
  await checkConfined(project, workflowsDir, "workflows.base_path");
  return project;
}

/** Resolves `-f FILE`: absolute as is, relative to the workflows directory, `.yaml` added without an extension. */
export async function resolveFileArg(project: Project, file: string): Promise<string> {
  const withExt = extname(file) ? file : `${file}.yaml`;
  const candidates = isAbsolute(file)
    ? [file]
    : [join(project.workflowsDir, withExt), ...(extname(file) ? [] : [join(project.workflowsDir, `${file}.yml`)]), resolve(project.cwd, file)];
  for (const candidate of candidates) {
    if (!isFile(candidate)) continue;
    await checkConfined(project, candidate, "workflow file");
    return candidate;
  }
  const looked = [...new Set(candidates.map((c) => displayPath(project, c)))];
  throw new DiscoveryError(`workflow file "${file}" not found (looked for ${looked.join(", ")})`);
}

/** Lists `.yaml`/`.yml` files below `dir`, sorted, skipping dot-directories and node_modules. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") await walk(path);
      } else if (entry.isFile() && /\.ya?ml$/.test(entry.name) && !/^\.?atmos\.ya?ml$/.test(entry.name)) {
        found.push(path);
      }
    }
  };
  await walk(dir).catch((error: { code?: string }) => {
    if (error.code === "ENOENT") throw new DiscoveryError(`workflows directory ${dir} does not exist`);
    throw error;
  });
  return found.sort();
}

/** A path as shown to the user: relative to the current directory when shorter. */
export function displayPath(project: Project, path: string): string {
  const rel = relative(project.cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** A loaded file: its model or its diagnostics. */
export interface LoadedFile {
  path: string;
  display: string;
  workflowFile?: WorkflowFile;
  diagnostics: Diagnostic[];
  /** Accepted as Atmos accepts it, but probably not meant (printed by validate, describe and workflow). */
  warnings: Warning[];
  /** Valid YAML without a `workflows:` key: another tool's file. */
  foreign?: boolean;
  /** The workflow names the file declares (also when it is invalid). */
  declares: string[];
  /** Invalid workflows' own problems (the valid ones are in `workflowFile`). */
  broken?: Map<string, Diagnostic[]>;
  /** The file itself is invalid: none of its workflows may run. */
  fileLevel?: boolean;
}

/** The offset of the first byte that is not part of valid UTF-8, or -1 (one linear pass). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) [n, lo, hi] = [2, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf];
    else if (c >= 0xf0 && c <= 0xf4) [n, lo, hi] = [3, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf];
    else return i;
    for (let k = 1; k <= n; k++) {
      const next = b[i + k];
      if (next === undefined || next < (k === 1 ? lo : 0x80) || next > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * `bytes` as UTF-8 text, or where the first invalid byte is (1-based line and column).
 *
 * @example
 * ```ts
 * decodeUtf8(new Uint8Array([0x61, 0x0a, 0x62, 0xff])); // { line: 2, col: 2, offset: 3, byte: 255 }
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | { line: number; col: number; offset: number; byte: number } {
  // The runtime's strict decoder refuses exactly what the scan below finds (WHATWG's UTF-8), natively:
  // the byte loop, a millisecond for 100 kB, runs only to position a refusal.
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // invalid: find where
  }
  const offset = firstInvalidUtf8(bytes);
  if (offset < 0) return new TextDecoder().decode(bytes);
  const lineStart = bytes.lastIndexOf(10, offset - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 10) line++;
  const col = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
  return { line, col, offset, byte: bytes[offset]! };
}

/** A workflow file larger than this turns the JIT's usual policy on (about 200 steps). */
const JIT_FILE_BYTES = 16 * 1024;

/** Reads and validates one workflow file (through the parse cache, see parse-cache.ts). */
export async function loadWorkflowFile(project: Project, path: string): Promise<LoadedFile> {
  const display = displayPath(project, path);
  // Read synchronously: a workflow file is small, and the thread pool's round trip costs more than the read.
  const bytes = readFileSync(path);
  const decoded = decodeUtf8(bytes);
  if (typeof decoded !== "string") {
    // Replacing invalid bytes would run a different command than the file holds: refuse, positioned.
    return { path, display, diagnostics: [{ file: display, ...decoded, message: `invalid UTF-8 (byte 0x${decoded.byte.toString(16).padStart(2, "0")} at offset ${decoded.offset}) (expected a UTF-8 text file)` }], warnings: [], declares: [], fileLevel: true };
  }
  const text = decoded;
  // A large file's parse and checks run the same code per step: worth compiling (see platform.normalJit).
  if (text.length > JIT_FILE_BYTES) platform.normalJit?.();
  // The runtime's fast parser where it is certain to agree with the full one; else the parse cache
  // (files the fast path cannot take, and Deno, which has no fast parser); the full parser, with
  // positions, runs only when neither answers, or when an error needs a position.
  const fast = platform.parseYaml && text.length <= MAX_FILE_BYTES ? fastYaml(text, platform.parseYaml, MAX_DEPTH) : undefined;
  const dir = fast === undefined ? cacheDir(platform.env()) : undefined;
  const cached = fast === undefined ? await readParsed(dir, text) : undefined;
  // Without the fast path the full parser runs (or may be asked for positions): loaded now, where loading may wait.
  if (fast === undefined) await loadYamlLibrary();
  // The kinds of the types the file names (all of them when its value is not known before the full parse).
  const known = fast ?? cached;
  await (known === undefined ? loadAllKinds() : loadKinds(typesNamedIn(known)));
  let parsed = parseWorkflowFile(display, text, fast ?? cached);
  // A file with CEL conditions: the CEL library is loaded (only now) and the file parsed again, so its expressions are compiled.
  if (parsed.needsCel) {
    await loadCel();
    parsed = parseWorkflowFile(display, text, fast ?? cached ?? parsed.value);
  }
  const { workflowFile, diagnostics, warnings = [], value, foreign, declares = [], broken, fileLevel } = parsed;
  if (fast === undefined && cached === undefined && diagnostics.length === 0) await writeParsed(dir, text, value);
  return { path, display, workflowFile, diagnostics, warnings, foreign, declares, broken, fileLevel };
}

/** The files `-f` names, or every workflow file in the workflows directory. */
export async function loadFiles(project: Project, fileArg?: string): Promise<LoadedFile[]> {
  const paths = fileArg ? [await resolveFileArg(project, fileArg)] : await listYamlFiles(project.workflowsDir);
  return Promise.all(paths.map((p) => loadWorkflowFile(project, p)));
}

/**
 * The files found by a search, Atmos' way: YAML files without a `workflows:`
 * key (a `docker-compose.yml`, CI files) are someone else's and skipped.
 * With `-f`, the named file is always taken.
 */
export async function loadWorkflowFiles(project: Project, fileArg?: string): Promise<{ files: LoadedFile[]; skipped: LoadedFile[] }> {
  const all = await loadFiles(project, fileArg);
  if (fileArg) return { files: all, skipped: [] };
  return { files: all.filter((f) => !f.foreign), skipped: all.filter((f) => f.foreign) };
}

/** The problem a broken file, or its broken workflows, is summed up by, in one line. */
function brokenSummary(file: LoadedFile): string {
  const first = file.diagnostics[0]!;
  const more = file.diagnostics.length > 1 ? ` (and ${file.diagnostics.length - 1} more)` : "";
  const what = file.fileLevel
    ? `${file.display} is not valid and was skipped`
    : `${[...(file.broken?.keys() ?? [])].map((n) => `workflow "${n}"`).join(", ")} in ${file.display} ${file.broken && file.broken.size > 1 ? "are" : "is"} not valid and ${file.broken && file.broken.size > 1 ? "were" : "was"} skipped`;
  return `${what}: ${formatDiagnostic(first)}${more}; run "muster validate" for every problem`;
}

/**
 * The workflow `name`, from `-f` or found by searching; errors when missing
 * or ambiguous. A broken file that does not declare `name` does not stop the
 * search: it comes back as one warning line.
 * With `chooseFile`, a name defined in several files is resolved by it (a picker on a terminal).
 */
export async function findWorkflow(
  project: Project,
  name: string,
  fileArg?: string,
  chooseFile?: (matches: LoadedFile[]) => Promise<LoadedFile>,
): Promise<{ file: LoadedFile; workflow: Workflow; warnings: string[] }> {
  const { files } = await loadWorkflowFiles(project, fileArg);
  // The workflow's own problems (or its file's) refuse it; a broken sibling only earns a warning.
  const own = (f: LoadedFile) => (f.fileLevel ? f.diagnostics : f.broken?.get(name) ?? []);
  const brokenOwn = files.filter((f) => f.diagnostics.length > 0 && (f.declares.includes(name) || (fileArg !== undefined && f.fileLevel)) && own(f).length > 0);
  if (brokenOwn.length > 0) {
    const diagnostics = brokenOwn.flatMap(own);
    throw new DiscoveryError(`${diagnostics.length} problem${diagnostics.length > 1 ? "s" : ""} in workflow files:\n${diagnostics.map(formatDiagnostic).join("\n")}`, diagnostics);
  }
  const warnings = files.filter((f) => f.diagnostics.length > 0).map(brokenSummary);
  // The chosen workflow's own warnings (and its file's), each positioned.
  const ownWarnings = (f: LoadedFile) => f.warnings.filter((w) => w.workflow === undefined || w.workflow === name).map(formatWarning);
  const matches = files.filter((f) => f.workflowFile?.workflows.has(name));
  if (matches.length === 1) return { file: matches[0]!, workflow: matches[0]!.workflowFile!.workflows.get(name)!, warnings: [...ownWarnings(matches[0]!), ...warnings] };
  if (matches.length > 1 && chooseFile) {
    const file = await chooseFile(matches);
    return { file, workflow: file.workflowFile!.workflows.get(name)!, warnings: [...ownWarnings(file), ...warnings] };
  }
  if (matches.length > 1) {
    throw new DiscoveryError(`workflow "${name}" is defined in ${matches.length} files: ${matches.map((m) => m.display).join(", ")} (expected one; choose with -f FILE)`);
  }
  const known = files.flatMap((f) => [...(f.workflowFile?.workflows.keys() ?? [])]);
  const where = fileArg ? files[0]!.display : `${displayPath(project, project.workflowsDir) || "."} (${files.length} file${files.length === 1 ? "" : "s"})`;
  const hint = suggest(name, known);
  const brokenNote = warnings.length > 0 ? `\n${warnings.map((w) => `  (${w})`).join("\n")}` : "";
  throw new DiscoveryError(`workflow "${name}" not found in ${where}${hint ? `; did you mean "${hint}"?` : ""}${known.length ? ` (expected one of: ${known.join(", ")})` : ""}${brokenNote}`);
}
