/**
 * Cloning the workflow repository with a hardened git: only the https and
 * ssh transports, no system or global config, HOME inside the run's temp
 * dir, no prompts, no submodules, no hooks, `--` before positional
 * arguments; SSH with the given key and known_hosts and strict host-key
 * checking, never disabled.
 * @module
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cancellation } from "../engine/cancellation.ts";
import { runProcess } from "../engine/run-process.ts";
import { concat } from "../util/bytes.ts";
import { shellQuote } from "../util/shell-words.ts";
import { isSshUrl, type ServeConfig } from "./config.ts";
import { platform } from "../platform/index.ts";
import { runDirTag } from "./run-dir-lock.ts";

/** Where a run keeps its files: the checkout, a HOME and a TMPDIR, all below a 0700 root. */
export interface RunDirs {
  root: string;
  home: string;
  checkout: string;
  tmp: string;
}

/** Creates the folders of a run below `root` (made 0700: other users cannot enter it). */
export async function prepareRunDirs(root: string): Promise<RunDirs> {
  const dirs = { root, home: join(root, "home"), checkout: join(root, "repo"), tmp: join(root, "tmp") };
  await chmod(root, 0o700);
  await Promise.all([mkdir(dirs.home), mkdir(dirs.tmp)]);
  return dirs;
}

/** The prefix of the directory that holds a clone's credentials (outside every run's dir, for the clone only). */
export const SECRETS_DIR_PREFIX = "muster-secrets-";

/** The git command line and environment for a clone, with credentials in `secrets` (a 0700 dir). @internal */
export async function cloneCommand(config: ServeConfig, dirs: RunDirs, secrets: string): Promise<{ argv: string[]; env: Record<string, string> }> {
  const env: Record<string, string> = {
    PATH: platform.env().PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dirs.home,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    // A local repository (MUSTER_ALLOW_LOCAL_REPOS=1) is cloned over file:// and nothing else; a remote one over https or ssh only.
    GIT_ALLOW_PROTOCOL: config.localRepo ? "file" : "https:ssh",
    GIT_PROTOCOL_FROM_USER: "0",
  };
  if (isSshUrl(config.repoUrl)) {
    const knownHosts = join(secrets, "known_hosts");
    await writeFile(knownHosts, `${config.knownHosts!.trim()}\n`, { mode: 0o600 });
    const ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null"];
    if (config.sshKey) {
      const key = join(secrets, "id_key");
      await writeFile(key, `${config.sshKey.trim()}\n`, { mode: 0o600 });
      await chmod(key, 0o600);
      ssh.push("-o", "IdentitiesOnly=yes", "-i", key);
    }
    env.GIT_SSH_COMMAND = ssh.map(shellQuote).join(" ");
  } else if (config.gitToken) {
    // The token reaches git only through GIT_ASKPASS reading a 0600 file: never in the URL, argv or .git/config.
    await writeFile(join(secrets, "token"), config.gitToken, { mode: 0o600 });
    const askpass = join(secrets, "askpass");
    await writeFile(askpass, `#!/bin/sh\ncase "$1" in\n  Username*) printf '%s\\n' ${shellQuote(config.gitUsername)} ;;\n  *) cat ${shellQuote(join(secrets, "token"))}; echo ;;\nesac\n`, { mode: 0o700 });
    env.GIT_ASKPASS = askpass;
  }
  const argv = [
    "git",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",
    ...(config.localRepo ? ["-c", "protocol.file.allow=always"] : ["-c", "protocol.https.allow=always", "-c", "protocol.ssh.allow=always"]),
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
  // Credentials live outside every run's directory, and only while git runs.
  const secrets = await mkdtemp(join(tmpdir(), `${SECRETS_DIR_PREFIX}${runDirTag()}-`));
  const output: Uint8Array[] = [];
  let outcome;
  try {
    const { argv, env } = await cloneCommand(config, dirs, secrets);
    outcome = await runProcess(argv, {
      env,
      cwd: dirs.root,
      stdin: "null",
      stdout: (chunk) => void output.push(chunk),
      stderr: (chunk) => void output.push(chunk),
      timeoutMs: 5 * 60_000,
      graceMs: 2000,
      cancellation,
    });
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
  if (outcome.code !== 0) {
    const text = new TextDecoder().decode(concat(output, output.reduce((n, c) => n + c.length, 0))).trim().split("\n").slice(-5).join("; ");
    throw new Error(`git clone failed (exit ${outcome.code}): ${text || "no output"}`);
  }
}
