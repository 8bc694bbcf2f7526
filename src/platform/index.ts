/**
 * The platform adapter for the runtime we are running on.
 *
 * @example
 * ```ts
 * import { platform } from "./platform/index.ts";
 * const child = platform.spawn(["sh", "-c", "echo hi"], { stdin: "null", stdout: "inherit", stderr: "inherit" });
 * console.log((await child.exited).code); // 0
 * ```
 * @module
 */
import type { Platform } from "./types.ts";
import { createBunPlatform } from "./bun/bun-platform.ts";
import { createDenoPlatform } from "./deno/deno-platform.ts";

export type * from "./types.ts";
export { SpawnError } from "./types.ts";

/** The adapter for the current runtime. */
export const platform: Platform = "Deno" in globalThis ? createDenoPlatform() : createBunPlatform();
