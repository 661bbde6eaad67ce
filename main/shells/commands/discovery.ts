/**
 * `convoy formats list|search <word>|categories` and `convoy options <target>`: what the API (or
 * the local engine) converts to, and which options a target takes — read from `GET /conversions`.
 */
import type { ConversionInfo } from '../../api/types';
import { apiFlagOptions, ExitCode, UsageError, parseFlags, type CliCommand, type CliIO } from '../cli-types';
import { CliFailure, reportFailure } from '../cli-errors';
import { apiFlagsHelp, openApiSession } from './api-session';

const formatsUsage = `Usage: convoy formats list [--category <c>] | search <word> | categories  [options]

Explores the conversions the API offers (the local engine's own without a key).

Subcommands:
  list                  Every target format (with --category: of that category only)
  search <word>         Targets and categories containing the word
  categories            The categories

Options:
  --category <c>                 list: only this category
  --json                         Print JSON
${apiFlagsHelp}`;

const optionsUsage = `Usage: convoy options <target> [--category <c>] [options]

Shows the options a target format accepts (name, type, default, allowed values), to pass as
--option key=value (or key:=value to keep a literal string), or in an --options-file.

Options:
  --category <c>                 Disambiguate a target offered in several categories
  --json                         Print JSON (the options' schema)
${apiFlagsHelp}`;

function table(rows: string[][], headers: string[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}

function parse(argv: string[]) {
  return parseFlags(argv, { ...apiFlagOptions, json: { type: 'boolean' }, category: { type: 'string' } });
}

/** The catalog, sorted by category then target. */
export async function loadCatalog(values: Parameters<typeof openApiSession>[0], io: CliIO): Promise<ConversionInfo[]> {
  const session = await openApiSession(values, io);
  try {
    const list = await session.client.listConversions();
    return list.sort((a, b) => (a.category ?? '').localeCompare(b.category ?? '') || a.target.localeCompare(b.target));
  } finally {
    await session.close();
  }
}

async function formats(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv);
  const json = Boolean(values.json);
  const [sub, ...rest] = positionals;
  if (!sub || !['list', 'search', 'categories'].includes(sub)) throw new UsageError('Give a subcommand: list, search <word> or categories');
  if (sub === 'search' && rest.length !== 1) throw new UsageError('formats search takes one word');
  if (sub !== 'search' && rest.length) throw new UsageError(`Unexpected argument '${rest[0]}'`);
  try {
    const catalog = await loadCatalog(values, io);
    if (sub === 'categories') {
      const cats = [...new Set(catalog.map((c) => c.category ?? ''))].filter(Boolean).sort();
      io.stdout.write(json ? `${JSON.stringify(cats, null, 2)}\n` : `${cats.join('\n')}\n`);
      return ExitCode.ok;
    }
    let list = catalog;
    if (sub === 'list' && values.category) list = list.filter((c) => c.category === values.category!.toLowerCase());
    if (sub === 'search') {
      const word = rest[0].toLowerCase();
      list = list.filter((c) => c.target.toLowerCase().includes(word) || (c.category ?? '').toLowerCase().includes(word));
    }
    if (json)
      io.stdout.write(
        `${JSON.stringify(
          list.map((c) => ({ id: c.id ?? `${c.category}-${c.target}`, category: c.category, target: c.target })),
          null,
          2,
        )}\n`,
      );
    else if (list.length === 0) io.stdout.write(sub === 'search' ? `No target or category matches "${rest[0]}".\n` : 'No targets.\n');
    else
      io.stdout.write(
        table(
          list.map((c) => [c.category ?? '', c.target]),
          ['CATEGORY', 'TARGET'],
        ),
      );
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'formats', err, json);
  }
}

type OptionSpec = { type?: string; default?: unknown; enum?: unknown[]; minimum?: number; maximum?: number; description?: string };

async function options(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv);
  const json = Boolean(values.json);
  if (positionals.length !== 1) throw new UsageError('Give one target format, e.g. "convoy options webp"');
  const target = positionals[0].toLowerCase().replace(/^\./, '');
  try {
    const catalog = await loadCatalog(values, io);
    let found = catalog.filter((c) => c.target === target && (!values.category || c.category === values.category.toLowerCase()));
    if (found.length === 0) {
      throw new CliFailure(
        `No conversion to "${target}"${values.category ? ` in ${values.category}` : ''}. See "convoy formats search ${target}".`,
        ExitCode.validation,
        'NotFoundError',
      );
    }
    if (found.length > 1) {
      const cats = found.map((c) => c.category).join(', ');
      if (!values.category) throw new CliFailure(`"${target}" is offered in several categories (${cats}); pass --category`, ExitCode.usage, 'UsageError');
      found = found.slice(0, 1);
    }
    const spec = (found[0].options ?? {}) as Record<string, OptionSpec>;
    if (json) {
      io.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
      return ExitCode.ok;
    }
    const keys = Object.keys(spec).sort();
    if (keys.length === 0) {
      io.stdout.write('No options for this target.\n');
      return ExitCode.ok;
    }
    const allowed = (s: OptionSpec) => {
      if (Array.isArray(s.enum)) return s.enum.join('|');
      if (s.minimum !== undefined && s.maximum !== undefined) return `${s.minimum}–${s.maximum}`;
      if (s.minimum !== undefined) return `≥ ${s.minimum}`;
      return s.maximum !== undefined ? `≤ ${s.maximum}` : '';
    };
    io.stdout.write(
      table(
        keys.map((k) => [k, String(spec[k]?.type ?? ''), spec[k]?.default === undefined ? '' : String(spec[k].default), allowed(spec[k] ?? {})]),
        ['OPTION', 'TYPE', 'DEFAULT', 'ALLOWED'],
      ),
    );
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportFailure(io, 'options', err, json);
  }
}

export const formatsCommand: CliCommand = {
  name: 'formats',
  summary: 'Explore the target formats: list, search <word>, categories',
  usage: formatsUsage,
  run: formats,
};
export const optionsCommand: CliCommand = { name: 'options', summary: 'Show the options a target format accepts', usage: optionsUsage, run: options };
