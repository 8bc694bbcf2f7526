/**
 * The files `muster init` writes: an `atmos.yaml` that points at a
 * `workflows/` directory, and a commented sample workflow that runs as is.
 * @module
 */

import { WORKFLOW_SCHEMA_URL as SCHEMA_URL } from "../workflow/schema-url.ts";

/** The `atmos.yaml` `muster init` writes. */
export const ATMOS_YAML = `# Atmos' CLI configuration: muster reads base_path and workflows.base_path from it.
# Steps run in base_path (relative to this file) unless they set working_directory.
base_path: "."
workflows:
  # Where \`muster workflow NAME\` (without -f) looks for workflow files.
  base_path: workflows
`;

/** The sample workflow `muster init` writes to `workflows/hello.yaml`. */
export const SAMPLE_WORKFLOW = `# yaml-language-server: $schema=${SCHEMA_URL}
# A sample muster workflow. Run it with:   muster workflow hello
# See every step's plan without running:   muster describe hello
# Reference: https://github.com/muster-run/muster/tree/main/docs
workflows:
  hello:
    description: Greet, check two things at once, and always clean up
    env:
      GREETING: hello               # for every step's processes
    steps:
      - name: greet                 # unnamed steps are step1, step2, ... by position
        type: shell                 # sh -c '<command>'; the default type is atmos
        # Templates are Go's text/template: --var who=you sets .vars.who.
        command: echo "$GREETING, {{ .vars.who | default "world" }}"
      - name: version
        type: shell
        command: uname -s           # its trimmed stdout is {{ .steps.version.value }}
      - name: checks
        type: parallel              # children run at the same time
        steps:
          - name: lint
            type: shell
            command: echo "linting on {{ .steps.version.value }}"
          - name: test
            type: shell
            command: echo "testing"
            timeout: 30s            # Go-style durations: 500ms, 5s, 1m30s
      - name: cleanup
        type: shell
        when: always                # runs after a failure too
        command: echo "cleaning up"
`;

/** What `muster init` writes, relative to the directory it runs in. */
export const INIT_FILES: ReadonlyArray<{ path: string; text: string }> = [
  { path: "atmos.yaml", text: ATMOS_YAML },
  { path: "workflows/hello.yaml", text: SAMPLE_WORKFLOW },
];
