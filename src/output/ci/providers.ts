/**
 * CI systems muster knows how to talk to: collapsible log groups, error
 * annotations and (GitHub) a job summary. One object per system behind one
 * small interface, chosen from the environment or `--ci`.
 * @module
 */

/** An annotation: a failure CI shows next to the job (and, with a file, in the diff). */
export interface Annotation {
  title: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

/** What muster writes for one CI system. */
export interface CiProvider {
  readonly name: "github" | "gitlab" | "buildkite";
  /** Opens a collapsible group titled `title` (a line for stdout). */
  groupBegin(title: string): string;
  /** Closes the group opened last. */
  groupEnd(title: string): string;
  /** Marks the group just closed as failed, where the system can (Buildkite expands it). */
  groupFailed?(): string;
  /** An error annotation. */
  error(annotation: Annotation): string;
  /** The file a Markdown job summary is appended to, if the system has one. */
  summaryFile?(env: Record<string, string>): string | undefined;
}

// GitHub workflow commands: data escapes %, CR, LF; properties also : and ,.
const ghData = (s: string) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const ghProp = (s: string) => ghData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

/** GitHub Actions: `::group::`, `::error ...::`, `$GITHUB_STEP_SUMMARY`. */
export const github: CiProvider = {
  name: "github",
  groupBegin: (title) => `::group::${ghData(title)}\n`,
  groupEnd: () => "::endgroup::\n",
  error({ title, message, file, line, col }) {
    const props = [
      ...(file !== undefined ? [`file=${ghProp(file)}`] : []),
      ...(line !== undefined ? [`line=${line}`] : []),
      ...(col !== undefined ? [`col=${col}`] : []),
      `title=${ghProp(title)}`,
    ];
    return `::error ${props.join(",")}::${ghData(message)}\n`;
  },
  summaryFile: (env) => env.GITHUB_STEP_SUMMARY || undefined,
};

let sections = 0;
const unix = () => Math.floor(Date.now() / 1000);
const sectionIds: string[] = [];

/** GitLab CI: collapsible sections (`section_start`/`section_end`); errors as plain lines. */
export const gitlab: CiProvider = {
  name: "gitlab",
  groupBegin(title) {
    const id = `muster_${++sections}_${title.toLowerCase().replace(/[^a-z0-9_.-]+/g, "_").slice(0, 40)}`;
    sectionIds.push(id);
    return `\x1b[0Ksection_start:${unix()}:${id}[collapsed=true]\r\x1b[0K${title}\n`;
  },
  groupEnd() {
    const id = sectionIds.pop() ?? "muster";
    return `\x1b[0Ksection_end:${unix()}:${id}\r\x1b[0K\n`;
  },
  error: ({ title, message, file, line }) => `ERROR: ${title}${file ? ` (${file}${line ? `:${line}` : ""})` : ""}: ${message}\n`,
};

/** Buildkite: `--- title` groups; a failed group is expanded with `^^^ +++`. */
export const buildkite: CiProvider = {
  name: "buildkite",
  groupBegin: (title) => `--- ${title}\n`,
  groupEnd: () => "",
  groupFailed: () => "^^^ +++\n",
  error: ({ title, message, file, line }) => `🚨 ${title}${file ? ` (${file}${line ? `:${line}` : ""})` : ""}: ${message}\n`,
};

const BY_NAME = { github, gitlab, buildkite } as const;

/** What `atmos.yaml` says about CI (`ci.enabled`, `ci.groups.mode`). */
export interface CiConfig {
  enabled?: boolean;
  groupsMode?: string;
}

/** The CI integration of a run: the provider, and whether log groups are opened. */
export interface CiSettings {
  provider: CiProvider;
  groups: boolean;
}

/**
 * Chooses the CI integration: `--ci` when given ("none" turns it off), else
 * the environment (GITHUB_ACTIONS, GITLAB_CI, BUILDKITE). Atmos' `ci.enabled:
 * false` turns it off and `ci.groups.mode: off` turns groups off; a parent
 * muster or Atmos that already opened a group (MUSTER_CI_LOG_GROUP_ACTIVE,
 * ATMOS_CI_LOG_GROUP_ACTIVE) means no nested groups.
 *
 * @example
 * ```ts
 * detectCi({ GITHUB_ACTIONS: "true" })?.provider.name; // "github"
 * detectCi({ GITHUB_ACTIONS: "true" }, "none"); // undefined
 * ```
 */
export function detectCi(env: Record<string, string | undefined>, flag?: string, config: CiConfig = {}): CiSettings | undefined {
  let provider: CiProvider | undefined;
  if (flag !== undefined) {
    if (flag === "none") return undefined;
    provider = BY_NAME[flag as keyof typeof BY_NAME];
  } else {
    if (config.enabled === false) return undefined;
    if (env.GITHUB_ACTIONS === "true") provider = github;
    else if (env.GITLAB_CI === "true") provider = gitlab;
    else if (env.BUILDKITE === "true") provider = buildkite;
  }
  if (!provider) return undefined;
  const off = ["off", "none", "false", "disabled"].includes((config.groupsMode ?? "").trim().toLowerCase());
  const nested = Boolean(env.MUSTER_CI_LOG_GROUP_ACTIVE || env.ATMOS_CI_LOG_GROUP_ACTIVE);
  return { provider, groups: !off && !nested };
}

/** The `--ci` values. */
export const CI_CHOICES = ["github", "gitlab", "buildkite", "none"] as const;
