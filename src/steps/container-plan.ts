/**
 * What a container step resolves to: shared by the kind (`container.ts`)
 * and its runners (`container-actions.ts`, `container-services.ts`).
 * @module
 */
import type { ContainerSpec } from "../docker/container-spec.ts";

/** An image build, planned. */
export interface BuildPlan {
  action: "build";
  /** The context directory (absolute) and the Dockerfile (relative to it, or absolute). */
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: Record<string, string>;
  /** Images whose layers the build may reuse (`cache.from` refs). */
  cacheFrom: string[];
}

/** What a container step resolves to. */
export type ContainerPlan =
  | { action: "run"; background: boolean; spec: ContainerSpec; cwd: string }
  | BuildPlan
  | { action: "push"; image: string; tags: string[] }
  | { action: "inspect"; image: string };
