/**
 * The `with:` of a `run` container step and of the workflow's `container:`
 * sandbox, and the pieces every action's `with:` shares (image references,
 * `provider`), as Atmos names them
 * (`pkg/schema/workflow.go`), plus muster's own additions to `run`
 * (`entrypoint`, `volumes`, `workdir`, `labels`, `stop_timeout`,
 * `ready_timeout`, a command as a list of words). Every string may be a
 * template: fields are checked again after rendering. The `with:` of
 * `build`, `push` and `inspect` are in their actions' files.
 * @module
 */
import * as v from "valibot";
import { commandWords, duration, expect, nonEmpty, str, stringMap, wholeNumber } from "../../workflow/schema.ts";

/** A yes/no field. */
export const bool = v.boolean(expect("true or false"));

/** An image reference: `[registry/]name[:tag][@digest]`, lower case path, no spaces. */
export const IMAGE_REFERENCE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;
const IMAGE_EXPECTED = "an image reference such as alpine:3.20 or 127.0.0.1:5000/team/app:1";

/** Whether a value still holds a template (checked again once rendered). */
export const isTemplated = (value: string) => value.includes("{{");

/** An image reference, or a template that renders to one. */
export const imageReference = v.pipe(
  v.string(expect(IMAGE_EXPECTED)),
  v.check((text) => text.trim() !== "", expect(`${IMAGE_EXPECTED} (it is blank)`)),
  v.check((text) => text.trim() === "" || isTemplated(text) || IMAGE_REFERENCE.test(text), expect(IMAGE_EXPECTED)),
);

const portNumber = (min: number) => v.pipe(wholeNumber(min), v.maxValue(65535, expect(`a port number from ${min} to 65535`)));

const port = v.strictObject(
  {
    host: v.optional(portNumber(0)),
    container: portNumber(1),
    protocol: v.optional(v.picklist(["tcp", "udp"], expect("one of: tcp, udp")), "tcp"),
    host_ip: v.optional(nonEmpty, "127.0.0.1"),
  },
  expect("a map with host, container, protocol, host_ip"),
);

/** An Atmos mount (`mounts:`): a bind by default, or a named volume or a tmpfs. */
const mount = v.strictObject(
  {
    type: v.optional(v.picklist(["bind", "volume", "tmpfs"], expect("one of: bind, volume, tmpfs")), "bind"),
    source: v.optional(str, ""),
    target: nonEmpty,
    read_only: v.optional(bool, false),
  },
  expect("a map with type, source, target, read_only"),
);

/** muster's `volumes:` (binds). */
const volume = v.strictObject(
  { source: nonEmpty, target: nonEmpty, read_only: v.optional(bool, false) },
  expect("a map with source, target, read_only"),
);

const healthcheck = v.strictObject(
  {
    test: v.optional(v.union(
      [nonEmpty, v.pipe(v.array(v.string()), v.minLength(1, expect('a non-empty list such as ["CMD", "wget", "-q", "..."]')))],
      expect("a list starting with CMD, CMD-SHELL or NONE, or a shell command string"),
    )),
    interval: v.optional(duration),
    timeout: v.optional(duration),
    retries: v.optional(wholeNumber(0)),
    start_period: v.optional(duration),
    start_interval: v.optional(duration),
    disable: v.optional(bool, false),
  },
  expect("a map with test, interval, timeout, retries, start_period, start_interval, disable"),
);

/** Atmos' `provider` (muster talks to whatever engine DOCKER_HOST names). */
export const provider = v.optional(v.picklist(["auto", "docker", "podman"], expect("one of: auto, docker, podman")));
const pull = v.optional(v.picklist(["missing", "always", "never"], expect("one of: missing, always, never")), "missing");
const cleanup = v.optional(v.picklist(["always", "on_success", "never"], expect("one of: always, on_success, never")), "always");
const runtime = v.optional(v.strictObject({ host: v.optional(bool, false) }, expect("a map with host")));

/** What `run` and the sandbox share. */
const containerEntries = {
  image: imageReference,
  shell: v.optional(nonEmpty, "/bin/sh"),
  provider,
  runtime_auto_start: v.optional(bool),
  runtime,
  pull,
  workspace: v.optional(v.pipe(nonEmpty, v.startsWith("/", expect("an absolute path in the container such as /workspace"))), "/workspace"),
  workspace_read_only: v.optional(bool, false),
  cleanup,
  user: v.optional(nonEmpty),
  run_args: v.optional(v.array(v.string(), expect("a list of docker run arguments")), []),
  mounts: v.optional(v.array(mount, expect("a list of mounts")), []),
  ports: v.optional(v.array(port, expect("a list of port mappings")), []),
  env: v.optional(stringMap, {}),
};

/** `with:` of `action: run` (and of a background service). */
export const runWith = v.strictObject(
  {
    ...containerEntries,
    command: v.optional(commandWords),
    entrypoint: v.optional(commandWords),
    volumes: v.optional(v.array(volume, expect("a list of volume mounts")), []),
    workdir: v.optional(nonEmpty),
    labels: v.optional(stringMap, {}),
    restart: v.optional(v.strictObject(
      {
        policy: v.picklist(["no", "always", "on-failure", "unless-stopped"], expect("one of: no, always, on-failure, unless-stopped")),
        max_retries: v.optional(wholeNumber(0)),
      },
      expect("a map with policy and max_retries"),
    )),
    healthcheck: v.optional(healthcheck),
    stop_timeout: v.optional(duration, "5s"),
    ready_timeout: v.optional(duration),
  },
  expect("a map with image and the container's settings"),
);

/** The workflow's `container:` (and a step's own): the sandbox shell and script steps run in. */
export const sandboxSettings = v.strictObject(
  { ...containerEntries },
  expect("false, or a map with image and the sandbox's settings (shell, workspace, cleanup, env, mounts, ...)"),
);

/** A step's `container:`: `false` runs it on the host, a map runs it in a container of its own. */
export const stepContainer = v.union([v.literal(false, expect("false")), sandboxSettings], expect("false, or a map with image and the container's settings"));

export type RunWith = v.InferOutput<typeof runWith>;
export type SandboxSettings = v.InferOutput<typeof sandboxSettings>;

/**
 * The container a shell or script step runs in: the workflow's sandbox
 * (shared, started at the first step that needs it) or the step's own.
 */
export interface SandboxPlan {
  /** `workflow`, or `step:NAME` for a step's own. */
  key: string;
  settings: SandboxSettings;
  /** The host directory mounted at the workspace. */
  hostRoot: string;
  /** The step's own container: it runs there even as a group's child. */
  own: boolean;
}
