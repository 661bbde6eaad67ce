/**
 * `convoy completion bash|zsh|fish|powershell` — a completion script for the shell. Targets and
 * option keys come from the catalog (the API's, or the local engine's without a key), written into
 * the script when it is made: a Tab never starts Convoy or waits for the network (the official CLI
 * asks the binary on every Tab). Run it again after the catalog changed.
 */
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { reportFailure } from '../cli-errors';
import { apiFlagsHelp } from './api-session';
import { commandLoaders } from './index';
import { loadCatalog } from './discovery';

const usage = `Usage: convoy completion bash|zsh|fish|powershell [options]

Prints a completion script: commands, flags, --to targets and --option keys (from the catalog).

  bash:        source <(convoy completion bash)          (or save it in ~/.local/share/bash-completion/completions/convoy)
  zsh:         source <(convoy completion zsh)
  fish:        convoy completion fish > ~/.config/fish/completions/convoy.fish
  powershell:  convoy completion powershell | Out-String | Invoke-Expression

Convoy writes the catalog into the script, so Tab is instant and works offline; the official CLI
asks its binary on every Tab instead. Run this again after the API's formats changed.

Options:
${apiFlagsHelp}`;

/** Flags worth completing (the union over the commands; each command checks its own). */
const FLAGS = [
  '--to',
  '--option',
  '--options-file',
  '--out-dir',
  '--out',
  '--recursive',
  '--concurrency',
  '--on-conflict',
  '--engine',
  '--api-key',
  '--data-dir',
  '--destination',
  '--json',
  '--verbose',
  '--async',
  '--category',
  '--include',
  '--exclude',
  '--help',
  '--timeout',
];

export interface CompletionData {
  commands: string[];
  targets: string[];
  categories: string[];
  optionKeys: string[];
}

const words = (list: string[]) => list.filter((w) => /^[A-Za-z0-9_.:-]+$/.test(w)).join(' ');

export function bashScript(d: CompletionData): string {
  return `# convoy completion for bash (made by "convoy completion bash")
_convoy_commands="${words(d.commands)}"
_convoy_targets="${words(d.targets)}"
_convoy_categories="${words(d.categories)}"
_convoy_option_keys="${words(d.optionKeys)}"
_convoy_flags="${words(FLAGS)}"
_convoy() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  case "$prev" in
    --to|-t) COMPREPLY=( $(compgen -W "$_convoy_targets" -- "$cur") ); return 0 ;;
    --category) COMPREPLY=( $(compgen -W "$_convoy_categories" -- "$cur") ); return 0 ;;
    --option) compopt -o nospace 2>/dev/null; COMPREPLY=( $(compgen -W "$_convoy_option_keys" -S = -- "$cur") ); return 0 ;;
    --out-dir|--data-dir|--options-file|--out) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh fish powershell" -- "$cur") ); return 0 ;;
    options) [ "$COMP_CWORD" -eq 2 ] && { COMPREPLY=( $(compgen -W "$_convoy_targets" -- "$cur") ); return 0; } ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=( $(compgen -W "$_convoy_commands" -- "$cur") ); return 0; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$_convoy_flags" -- "$cur") ); return 0; fi
  COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -o default -F _convoy convoy
`;
}

export function zshScript(d: CompletionData): string {
  // zsh runs the bash function through its bash-completion layer: one behaviour in both shells.
  return `# convoy completion for zsh (made by "convoy completion zsh")
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(d)}`;
}

export function fishScript(d: CompletionData): string {
  return `# convoy completion for fish (made by "convoy completion fish")
complete -c convoy -f -n "__fish_use_subcommand" -a "${words(d.commands)}"
complete -c convoy -l to -s t -x -a "${words(d.targets)}" -d "Target format"
complete -c convoy -l category -x -a "${words(d.categories)}"
complete -c convoy -l option -x -a "${d.optionKeys
    .filter((k) => /^[\w.-]+$/.test(k))
    .map((k) => `${k}=`)
    .join(' ')}" -d "Conversion option"
complete -c convoy -f -n "__fish_seen_subcommand_from completion" -a "bash zsh fish powershell"
complete -c convoy -f -n "__fish_seen_subcommand_from options" -a "${words(d.targets)}"
${FLAGS.filter((f) => !['--to', '--category', '--option'].includes(f))
  .map((f) => `complete -c convoy -l ${f.slice(2)}`)
  .join('\n')}
`;
}

export function powershellScript(d: CompletionData): string {
  const arr = (list: string[]) =>
    list
      .filter((w) => /^[\w.:-]+$/.test(w))
      .map((w) => `'${w}'`)
      .join(',');
  return `# convoy completion for PowerShell (made by "convoy completion powershell")
Register-ArgumentCompleter -Native -CommandName convoy -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = @(${arr(d.commands)})
  $targets = @(${arr(d.targets)})
  $categories = @(${arr(d.categories)})
  $optionKeys = @(${arr(d.optionKeys)})
  $flags = @(${arr(FLAGS)})
  $elements = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
  $prev = if ($wordToComplete) { $elements[-2] } else { $elements[-1] }
  $list = switch ($prev) {
    '--to' { $targets } '-t' { $targets } '--category' { $categories }
    '--option' { $optionKeys | ForEach-Object { "$_=" } }
    'completion' { @('bash','zsh','fish','powershell') }
    default { if ($elements.Count -le 2 -and -not $wordToComplete.StartsWith('-')) { $commands } elseif ($wordToComplete.StartsWith('-')) { $flags } else { @() } }
  }
  $list | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, { ...apiFlagOptions });
  const shell = parsed.positionals[0];
  const makers: Record<string, (d: CompletionData) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript, powershell: powershellScript };
  if (parsed.positionals.length !== 1 || !makers[shell]) throw new UsageError('Give one shell: bash, zsh, fish or powershell');
  try {
    const catalog = await loadCatalog(parsed.values, io);
    const optionKeys = new Set<string>();
    for (const c of catalog) for (const k of Object.keys((c.options as Record<string, unknown>) ?? {})) optionKeys.add(k);
    const data: CompletionData = {
      commands: Object.keys(commandLoaders).concat('help').sort(),
      targets: [...new Set(catalog.map((c) => c.target))].sort(),
      categories: [...new Set(catalog.map((c) => c.category ?? ''))].filter(Boolean).sort(),
      optionKeys: [...optionKeys].sort(),
    };
    io.stdout.write(makers[shell](data));
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'completion', err, false);
  }
}

export const command: CliCommand = { name: 'completion', summary: 'Print a shell completion script (bash, zsh, fish, powershell)', usage, run };
