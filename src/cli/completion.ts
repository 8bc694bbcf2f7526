/**
 * `muster completion bash|zsh|fish`: a completion script for subcommands,
 * their flags, and workflow names from the current project (asked of
 * `muster __complete workflows` at completion time).
 * @module
 */
import { type ArgsDef, type CommandDef, defineCommand } from "./command.ts";
import { stdout } from "../output/terminal.ts";
import { UsageError } from "../errors.ts";
import { EXIT_OK } from "../exit-codes.ts";
import { SUMMARIES } from "./summaries.ts";

/** The subcommands with their flags, read from the command definitions themselves. */
async function commandFlags(commands: Record<string, () => Promise<CommandDef>>): Promise<Array<{ name: string; flags: string[] }>> {
  const out = [];
  for (const [name, load] of Object.entries(commands)) {
    const cmd = await load();
    const args = (typeof cmd.args === "function" ? await (cmd.args as () => ArgsDef)() : cmd.args ?? {}) as ArgsDef;
    const flags = ["--help"];
    for (const [key, def] of Object.entries(args)) {
      if (def.type === "positional") continue;
      flags.push(`--${key}`);
      const aliases = "alias" in def && def.alias ? (Array.isArray(def.alias) ? def.alias : [def.alias]) : [];
      for (const alias of aliases) flags.push(alias.length === 1 ? `-${alias}` : `--${alias}`);
    }
    out.push({ name, flags });
  }
  return out;
}

function bash(commands: Array<{ name: string; flags: string[] }>): string {
  const cases = commands.map((c) => `    ${c.name}) flags="${c.flags.join(" ")}" ;;`).join("\n");
  return `# bash completion for muster; load with: source <(muster completion bash)
_muster() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")} --version --help" -- "$cur"))
    return
  fi
  cmd="\${COMP_WORDS[1]}"
  local i args=() name=""
  for ((i = 2; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -f|--file|-C|--dir) args+=("\${COMP_WORDS[i]}" "\${COMP_WORDS[i+1]}"); ((i++)) ;;
      -s|--stack|--from-step|--var|--grace|-j|--jobs|--log-dir|--identity) ((i++)) ;;
      -*) ;;
      *) [[ -z "$name" ]] && name="\${COMP_WORDS[i]}" ;;
    esac
  done
  case "$prev" in
    -f|--file|--log-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -C|--dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --from-step) COMPREPLY=($(compgen -W "$(muster __complete steps "$name" "\${args[@]}" 2>/dev/null)" -- "$cur")); return ;;
  esac
  case "$cmd" in
${cases}
    *) flags="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  case "$cmd" in
    workflow|describe)
      COMPREPLY=($(compgen -W "$(muster __complete workflows "\${args[@]}" 2>/dev/null)" -- "$cur")) ;;
    runs)
      if [ "$prev" = show ]; then COMPREPLY=($(compgen -W "$(muster __complete runs "\${args[@]}" 2>/dev/null)" -- "$cur"));
      elif [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "show" -- "$cur")); fi ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
  esac
}
complete -F _muster muster
`;
}

function zsh(commands: Array<{ name: string; flags: string[] }>): string {
  const cases = commands.map((c) => `    ${c.name}) flags=(${c.flags.join(" ")}) ;;`).join("\n");
  return `#compdef muster
# zsh completion for muster; load with: source <(muster completion zsh)
_muster() {
  local -a commands flags
  commands=(${commands.map((c) => c.name).join(" ")})
  if (( CURRENT == 2 )); then
    compadd -- $commands --version --help
    return
  fi
  case $words[2] in
${cases}
  esac
  if [[ $words[CURRENT] == -* ]]; then
    compadd -- $flags
    return
  fi
  case $words[CURRENT-1] in
    -f|--file|--log-dir) _files; return ;;
    -C|--dir) _directories; return ;;
    --from-step) compadd -- \${(f)"$(muster __complete steps $words[3] 2>/dev/null)"}; return ;;
  esac
  case $words[2] in
    workflow|describe) compadd -- \${(f)"$(muster __complete workflows 2>/dev/null)"} ;;
    runs) if [[ $words[CURRENT-1] == show ]]; then compadd -- \${(f)"$(muster __complete runs 2>/dev/null)"}; elif (( CURRENT == 3 )); then compadd -- show; fi ;;
    completion) compadd -- bash zsh fish ;;
  esac
}
compdef _muster muster
`;
}

function fish(commands: Array<{ name: string; flags: string[] }>): string {
  const lines = [
    "# fish completion for muster; load with: muster completion fish | source",
    "complete -c muster -f",
    `complete -c muster -n "__fish_use_subcommand" -a "${commands.map((c) => c.name).join(" ")}"`,
  ];
  for (const c of commands) {
    for (const flag of c.flags) {
      const option = flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
      lines.push(`complete -c muster -n "__fish_seen_subcommand_from ${c.name}" ${option}`);
    }
  }
  lines.push(`complete -c muster -n "__fish_seen_subcommand_from workflow describe; and not __fish_prev_arg_in --from-step" -a "(muster __complete workflows 2>/dev/null)"`);
  lines.push(`complete -c muster -n "__fish_seen_subcommand_from workflow; and __fish_prev_arg_in --from-step" -a "(muster __complete steps (commandline -opc)[3] 2>/dev/null)"`);
  lines.push(`complete -c muster -n "__fish_seen_subcommand_from runs; and not __fish_seen_subcommand_from show" -a "show"`);
  lines.push(`complete -c muster -n "__fish_seen_subcommand_from runs; and __fish_prev_arg_in show" -a "(muster __complete runs 2>/dev/null)"`);
  lines.push(`complete -c muster -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"`);
  return `${lines.join("\n")}\n`;
}

/** Builds the completion command for `commands` (the main command's subcommands). */
export function completionCommand(commands: Record<string, () => Promise<CommandDef>>) {
  return defineCommand({
    meta: { name: "completion", description: SUMMARIES.completion },
    args: { shell: { type: "positional", description: "bash, zsh or fish", required: true } },
    async run({ args }) {
      const described = [...(await commandFlags(commands)), { name: "completion", flags: ["--help"] }];
      const scripts: Record<string, (c: typeof described) => string> = { bash, zsh, fish };
      const render = scripts[args.shell];
      if (!render) throw new UsageError(`completion: unknown shell ${JSON.stringify(args.shell)} (expected one of: bash, zsh, fish)`);
      await stdout.write(render(described));
      return EXIT_OK;
    },
  });
}
