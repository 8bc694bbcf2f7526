/**
 * Atmos' YAML function tags in workflow files. Atmos reads a workflow file
 * with its tags kept as text (`default: !env STAGE dev` is the string
 * `"!env STAGE dev"`), evaluates `!env` and `!exec` in prompt fields at the
 * start of a run, and leaves every other value as that text. muster does
 * the same: a scalar with one of Atmos' tags loads as `"!tag value"`,
 * `!literal` drops its tag, a list or map keeps its value, and a tag Atmos
 * does not know is an error at its position (YAML's own `!!str` and the
 * like are the YAML library's business).
 * @module
 */
import type { Node } from "yaml";
import { yamlLibrary } from "./yaml-library.ts";

/** Every tag Atmos defines (pkg/utils/yaml_utils.go, AtmosYamlTags, plus !include, !include.raw). */
export const ATMOS_TAGS: readonly string[] = [
  "!exec", "!secret", "!store", "!store.get", "!template", "!terraform.output", "!terraform.state", "!env", "!cel",
  "!include", "!include.raw", "!repo-root", "!git-root", "!git.sha", "!git.branch", "!git.ref", "!git.repository", "!git.owner",
  "!git.name", "!git.host", "!git.url", "!append", "!cwd", "!unset", "!random", "!literal", "!aws.account_id",
  "!aws.caller_identity_arn", "!aws.caller_identity_user_id", "!aws.region", "!aws.organization_id", "!emulator", "!version",
  "!tags", "!labels", "!labels.keys", "!labels.values",
];

const KNOWN = new Set(ATMOS_TAGS);

/** A tag that is not Atmos': where it is, and which it is. */
export interface UnknownTag {
  node: Node;
  tag: string;
}

/**
 * Rewrites the tagged nodes under `root` in place, as Atmos loads them;
 * returns the tags it does not know.
 *
 * @example
 * ```ts
 * const doc = parseDocument("default: !env STAGE dev");
 * applyAtmosTags(doc.contents); // []
 * doc.toJS(); // { default: "!env STAGE dev" }
 * ```
 */
export function applyAtmosTags(root: Node | null): UnknownTag[] {
  const unknown: UnknownTag[] = [];
  if (!root) return unknown;
  yamlLibrary().visit(root, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (!tag || !tag.startsWith("!")) return;
      if (!KNOWN.has(tag)) {
        unknown.push({ node, tag });
        return;
      }
      const tagged = node as { tag?: string; value?: unknown };
      if (yamlLibrary().isScalar(node) && tag !== "!literal") tagged.value = `${tag} ${node.value === null || node.value === undefined ? "" : String(node.value)}`.trim();
      else if (!yamlLibrary().isScalar(node) && !yamlLibrary().isCollection(node)) return;
      tagged.tag = undefined;
    },
  });
  return unknown;
}
