/**
 * Atmos' `run_args` (extra `docker run` flags) as Engine API settings.
 * muster has no docker CLI to pass them to, so it understands the flags
 * workflows use to shape a container and refuses the others by name.
 * @module
 */

/** What the understood flags set. */
export interface RunArgSettings {
  network?: string;
  env: string[];
  labels: Record<string, string>;
  extraHosts: string[];
  capAdd: string[];
  capDrop: string[];
  tmpfs: Record<string, string>;
  readOnly?: boolean;
  init?: boolean;
  privileged?: boolean;
  workdir?: string;
  user?: string;
  entrypoint?: string;
  memoryBytes?: number;
  shmBytes?: number;
}

const VALUED = new Map<string, keyof RunArgSettings>([
  ["--network", "network"], ["--net", "network"], ["-e", "env"], ["--env", "env"], ["-l", "labels"], ["--label", "labels"],
  ["--add-host", "extraHosts"], ["--cap-add", "capAdd"], ["--cap-drop", "capDrop"], ["--tmpfs", "tmpfs"], ["-w", "workdir"], ["--workdir", "workdir"],
  ["-u", "user"], ["--user", "user"], ["--entrypoint", "entrypoint"], ["-m", "memoryBytes"], ["--memory", "memoryBytes"], ["--shm-size", "shmBytes"],
]);
const SWITCHES = new Map<string, keyof RunArgSettings>([["--read-only", "readOnly"], ["--init", "init"], ["--privileged", "privileged"]]);
/** Flags muster sets itself, or that make no sense for a step: accepted and ignored. */
const IGNORED = new Set(["--rm", "-i", "--interactive", "-t", "--tty", "-d", "--detach"]);

/** The flags `run_args` understands, for messages. */
export const KNOWN_RUN_ARGS = [...VALUED.keys(), ...SWITCHES.keys(), ...IGNORED].filter((f) => f.startsWith("--")).join(", ");

/**
 * A size such as `512m` or `1g`, in bytes.
 *
 * @example
 * ```ts
 * bytes("512m"); // 536870912
 * ```
 */
export function bytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as "" | "b" | "k" | "m" | "g"];
  return Math.round(Number(match[1]) * unit);
}

/** One flag of `run_args`: where it is written, and its value (a switch's is "true"/"false"). */
export interface RunArgFlag {
  flag: string;
  value: string;
  /** The index of the flag's first word in `run_args`. */
  index: number;
  /** The settings key it sets, or undefined for an ignored flag. */
  key?: keyof RunArgSettings;
}

/**
 * The flags of `run_args` one at a time, with their values; stops with the
 * problem of the first flag it cannot read.
 *
 * @example
 * ```ts
 * [...eachRunArg(["--cap-add", "SYS_ADMIN", "--privileged"])];
 * // [{ flag: "--cap-add", value: "SYS_ADMIN", index: 0, key: "capAdd" }, { flag: "--privileged", value: "true", index: 2, key: "privileged" }]
 * ```
 */
export function* eachRunArg(args: readonly string[]): Generator<RunArgFlag | { problem: string; index: number }> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (IGNORED.has(flag)) {
      yield { flag, value: "true", index: i };
      continue;
    }
    const toggle = SWITCHES.get(flag);
    if (toggle) {
      yield { flag, value: eq > 0 && arg.slice(eq + 1) === "false" ? "false" : "true", index: i, key: toggle };
      continue;
    }
    const key = VALUED.get(flag);
    if (!key) return yield { problem: `"${flag}" is not supported (muster talks to the Engine API, not the docker CLI; supported: ${KNOWN_RUN_ARGS})`, index: i };
    if (eq > 0) yield { flag, value: arg.slice(eq + 1), index: i, key };
    else if (i + 1 >= args.length) return yield { problem: `"${flag}" needs a value`, index: i };
    else yield { flag, value: args[++i]!, index: i - 1, key };
  }
}

/**
 * Reads `run_args`; returns the settings, or the problem with the first flag
 * it cannot honour.
 *
 * @example
 * ```ts
 * parseRunArgs(["--network", "host", "-e", "A=1", "--cap-add=NET_ADMIN"]);
 * // { settings: { network: "host", env: ["A=1"], capAdd: ["NET_ADMIN"], ... } }
 * parseRunArgs(["--gpus", "all"]); // { problem: 'run_args: "--gpus" is not supported (...)' }
 * ```
 */
export function parseRunArgs(args: readonly string[]): { settings: RunArgSettings } | { problem: string; index: number } {
  const settings: RunArgSettings = { env: [], labels: {}, extraHosts: [], capAdd: [], capDrop: [], tmpfs: {} };
  for (const item of eachRunArg(args)) {
    if ("problem" in item) return item;
    const { flag, value, key } = item;
    if (!key) continue;
    if (SWITCHES.get(flag) === key) {
      (settings as unknown as Record<string, boolean>)[key] = value !== "false";
      continue;
    }
    switch (key) {
      case "env":
      case "extraHosts":
      case "capAdd":
      case "capDrop":
        settings[key].push(value);
        break;
      case "labels": {
        const at = value.indexOf("=");
        settings.labels[at < 0 ? value : value.slice(0, at)] = at < 0 ? "" : value.slice(at + 1);
        break;
      }
      case "tmpfs": {
        const at = value.indexOf(":");
        settings.tmpfs[at < 0 ? value : value.slice(0, at)] = at < 0 ? "" : value.slice(at + 1);
        break;
      }
      case "memoryBytes":
      case "shmBytes": {
        const size = bytes(value);
        if (size === undefined) return { problem: `"${flag}" takes a size such as 512m or 1g (got ${JSON.stringify(value)})`, index: item.index };
        settings[key] = size;
        break;
      }
      default:
        (settings as unknown as Record<string, string>)[key] = value;
    }
  }
  return { settings };
}
