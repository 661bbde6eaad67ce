/**
 * What a failed row offers, chosen by the cause: a bad source is removed or replaced, a missing
 * URL is edited, a refused option opens the options, a refused key opens Settings. Only "Retry"
 * retries, and it is offered only where trying again can help.
 */
import { UNREADABLE_SOURCE, type ItemView } from '../../../preload/contract';

export type FixKind = 'retry' | 'editUrl' | 'replace' | 'remove' | 'options' | 'target' | 'settings' | 'outputFolder' | 'destination';

export interface Fix {
  kind: FixKind;
  label: string;
}

const NOT_FOUND = /\b(404|410)\b|not found|could not be (downloaded|fetched)|no such|ENOTFOUND|unreachable/i;
const BAD_OPTION = /option|quality|width|height|must be|out of range|not allowed/i;

/** The cause in a few plain words, shown before the API's own text. */
export function causeOf(item: Pick<ItemView, 'error' | 'sourceKind'>): string {
  const e = item.error;
  if (!e) return '';
  if (e.code === 'auth') return 'The API refused the key.';
  if (e.code === 'payment') return 'The account has no credits left.';
  if (e.code === 'output') return 'The result could not be saved.';
  if (e.code === 'delivery') return 'The result could not be delivered.';
  if ((e.code === 'input' || e.code === 'not_found') && item.sourceKind === 'url' && NOT_FOUND.test(e.message)) return 'The file is not at this address.';
  if (UNREADABLE_SOURCE.test(e.message) || e.code === 'input') return 'The source file could not be read.';
  if (e.code === 'validation') return BAD_OPTION.test(e.message) ? 'An option is not accepted for this format.' : 'The API refused this conversion.';
  if (e.code === 'conversion') return 'The conversion did not succeed.';
  return 'Something went wrong on the way.';
}

export function fixesFor(item: Pick<ItemView, 'error' | 'sourceKind' | 'state'>): Fix[] {
  const e = item.error;
  if (item.state !== 'failed' || !e) return [];
  const msg = e.message;
  if (e.code === 'auth' || e.code === 'payment') return [{ kind: 'settings', label: 'Open Settings' }];
  if (e.code === 'output')
    return [
      { kind: 'outputFolder', label: 'Change output folder' },
      { kind: 'retry', label: 'Retry' },
    ];
  if (e.code === 'delivery')
    return [
      { kind: 'destination', label: 'Change destination' },
      { kind: 'retry', label: 'Retry' },
    ];
  if (item.sourceKind === 'url' && (e.code === 'input' || e.code === 'not_found' || NOT_FOUND.test(msg))) {
    return [
      { kind: 'editUrl', label: 'Edit URL' },
      { kind: 'remove', label: 'Remove' },
    ];
  }
  if (e.code === 'input' || UNREADABLE_SOURCE.test(msg)) {
    return item.sourceKind === 'file'
      ? [
          { kind: 'replace', label: 'Replace file' },
          { kind: 'remove', label: 'Remove' },
        ]
      : [{ kind: 'remove', label: 'Remove' }];
  }
  if (e.code === 'validation') return BAD_OPTION.test(msg) ? [{ kind: 'options', label: 'Options' }] : [{ kind: 'target', label: 'Choose another target' }];
  if (e.code === 'conversion')
    return [
      { kind: 'target', label: 'Choose another target' },
      { kind: 'options', label: 'Options' },
    ];
  // Network, server and unknown failures: trying again can help.
  return [{ kind: 'retry', label: 'Retry' }];
}
