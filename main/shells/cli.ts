/**
 * `convoy` — the headless shell over the same core as the desktop app.
 */
import { fileURLToPath } from 'node:url';
import { version } from '../version';
import { ExitCode, exitCodeHelp, type CliIO } from './cli-types';
import { reportFailure } from './cli-errors';
import { commandLoaders } from './commands/index';

async function helpText(): Promise<string> {
  const lines = [
    `convoy ${version} — batch file conversion through the api2convert v2 API or the built-in local engine`,
    '',
    'Usage: convoy <command> [options]',
    '',
    'Commands:',
  ];
  for (const [name, load] of Object.entries(commandLoaders)) {
    const cmd = await load();
    lines.push(`  ${name.padEnd(14)}${cmd.summary}`);
  }
  lines.push(
    '',
    'Global options:',
    '  --help, -h      Show help (also: convoy <command> --help)',
    '  --version, -v   Print the version',
    '',
    'Environment:',
    '  CONVOY_HOME           Data folder (queue database, settings, logs); --data-dir overrides it',
    '  API2CONVERT_API_KEY   api2convert account key; without one the local engine converts offline',
    '',
    `Exit codes: ${exitCodeHelp.map(([v, k]) => `${v} ${k}`).join(', ')}`,
  );
  return lines.join('\n') + '\n';
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(await helpText());
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version}\n`);
    return ExitCode.ok;
  }
  const load = commandLoaders[first];
  if (!load) {
    io.stderr.write(`convoy: unknown command "${first}". Run "convoy --help" for the list.\n`);
    return ExitCode.usage;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    return ExitCode.ok;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    // Usage errors and failures before a report: a line on stderr, or the --json error envelope.
    return reportFailure(io, first, err, rest.includes('--json'), cmd.usage);
  }
}

const isEntry = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isEntry) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      process.stderr.write(`convoy: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
