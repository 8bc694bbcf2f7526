/**
 * Cloning the workflow repository with a hardened git: only the https and
 * ssh transports, no system or global config, HOME inside the run's temp
 * dir, no prompts, no submodules, no hooks, `--` before positional
 * arguments; SSH with the given key and known_hosts and strict host-key
 * checking, never disabled.
 * @module
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Cancellation } from "../engine/cancellation.ts";
import { runProcess } from "../engine/run-process.ts";
import { concat } from "../output/bytes.ts";
import { shellQuote } from "../workflow/shell-words.ts";
import { isSshUrl, type ServeConfig } from "./config.ts";
import { platform } from "../platform/index.ts";

/** Where a run keeps its files: the checkout, a HOME, and secrets outside the checkout. */
export interface RunDirs {
  root: string;
  home: string;
  secrets: string;
  checkout: string;
  tmp: string;
}

/** Creates the folders of a run below `root`. */
export async function prepareRunDirs(root: string): Promise<RunDirs> {
  const dirs = { root, home: join(root, "home"), secrets: join(root, "secrets"), checkout: join(root, "repo"), tmp: join(root, "tmp") };
  await Promise.all([mkdir(dirs.home), mkdir(dirs.secrets, { mode: 0o700 }), mkdir(dirs.tmp)]);
  return dirs;
}

/** The git command line and environment for a clone. @internal */
export async function cloneCommand(config: ServeConfig, dirs: RunDirs): Promise<{ argv: string[]; env: Record<string, string> }> {
  const env: Record<string, string> = {
    PATH: platform.env().PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dirs.home,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    GIT_ALLOW_PROTOCOL: "https:ssh",
    GIT_PROTOCOL_FROM_USER: "0",
  };
  if (isSshUrl(config.repoUrl)) {
    const knownHosts = join(dirs.secrets, "known_hosts");
    await writeFile(knownHosts, `${config.knownHosts!.trim()}\n`, { mode: 0o600 });
    const ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null"];
    if (config.sshKey) {
      const key = join(dirs.secrets, "id_key");
      await writeFile(key, `${config.sshKey.trim()}\n`, { mode: 0o600 });
      await chmod(key, 0o600);
      ssh.push("-o", "IdentitiesOnly=yes", "-i", key);
    }
    env.GIT_SSH_COMMAND = ssh.map(shellQuote).join(" ");
  }
  const argv = [
    "git",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",
    "-c", "protocol.https.allow=always",
    "-c", "protocol.ssh.allow=always",
    "-c", "submodule.recurse=false",
    "-c", "core.symlinks=true",
    ...(config.gitCaFile ? ["-c", `http.sslCAInfo=${config.gitCaFile}`] : []),
    "clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags", "--no-recurse-submodules",
    "--branch", config.repoBranch,
    "--", config.repoUrl, dirs.checkout,
  ];
  return { argv, env };
}

/**
 * Clones the repository into `dirs.checkout`; throws with git's own message on failure.
 */
export async function cloneRepository(config: ServeConfig, dirs: RunDirs, cancellation: Cancellation): Promise<void> {
  const { argv, env } = await cloneCommand(config, dirs);
  const output: Uint8Array[] = [];
  const outcome = await runProcess(argv, {
    env,
    cwd: dirs.root,
    stdin: "null",
    stdout: (chunk) => void output.push(chunk),
    stderr: (chunk) => void output.push(chunk),
    timeoutMs: 5 * 60_000,
    graceMs: 2000,
    cancellation,
  });
  if (outcome.code !== 0) {
    const text = new TextDecoder().decode(concat(output, output.reduce((n, c) => n + c.length, 0))).trim().split("\n").slice(-5).join("; ");
    throw new Error(`git clone failed (exit ${outcome.code}): ${text || "no output"}`);
  }
}
