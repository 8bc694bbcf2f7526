/**
 * Each command's one-line description, in one place: the commands' own
 * `meta` uses it, and `muster --help` lists it without loading a single
 * command module (loading them all made the top-level help four times
 * slower than `validate`).
 * @module
 */

/** The commands `muster --help` lists, in order. */
export const SUMMARIES = {
  init: "Write an atmos.yaml and a sample workflow into the current directory",
  workflow: "Run a workflow",
  list: "List workflows with their file, description and step count",
  validate: "Check workflow files and print every problem (exit 0 or 2)",
  describe: "Show the resolved plan: names, types, stacks and commands after templating",
  runs: "List the project's recent runs from the run journal; runs show RUN prints one run's steps and results",
  prune: "Remove containers left behind by a muster that is no longer running, and runs past the journal's retention",
  serve: "Run the dispatch runner: POST /dispatch clones the repository and runs a workflow (configured by the environment below)",
  schema: "Print the JSON Schema of workflow files, for editors",
  completion: "Print a shell completion script (bash, zsh or fish)",
} as const;
