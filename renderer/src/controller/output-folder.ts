/** The output folder shown in the main window: read, changed (main checks it), opened. */
import type { SettingsPatch, Settings } from '../../../preload/contract';
import type { Ctx } from './context';

export function createOutputFolder({ app, call }: Ctx, updateSettings: (patch: SettingsPatch) => Promise<Settings | null>) {
  async function loadOutputFolder() {
    const outputFolder = await call('files.outputFolder', undefined, { quiet: true });
    if (outputFolder) app.getState().received({ outputFolder });
  }

  /** Sets the output folder (main checks it exists and is writable); null goes back to the default. */
  async function setOutputFolder(path: string | null): Promise<void> {
    await updateSettings({ outputDir: path });
    await loadOutputFolder();
  }

  async function openOutputFolder(): Promise<void> {
    const r = await call('files.openOutputFolder');
    if (r && !r.opened) app.getState().notify('info', `Results are saved in ${r.path}`);
  }

  return { loadOutputFolder, setOutputFolder, openOutputFolder, pickFolder: () => call('files.pickFolder', undefined, { quiet: true }) };
}
