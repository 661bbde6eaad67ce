/**
 * The sandboxed preload: exposes `window.convoy` with narrow functions only — `invoke` for a known
 * contract method, `on` for a known event, `pathForFile` for dropped files — never ipcRenderer.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { ContractError, eventChannel, isEventName, isMethodName, methodChannel, type ConvoyApi } from './contract';

const api: ConvoyApi & { pathForFile(file: File): string } = {
  async invoke(method, args) {
    if (!isMethodName(method)) throw new ContractError('not_found', `Unknown method "${String(method)}"`);
    const reply = (await ipcRenderer.invoke(methodChannel(method), args)) as
      | { ok: true; value: never }
      | { ok: false; error: { code: string; message: string } };
    if (reply.ok) return reply.value;
    throw new ContractError(reply.error.code, reply.error.message);
  },
  on(event, listener) {
    if (!isEventName(event)) throw new ContractError('not_found', `Unknown event "${String(event)}"`);
    const channel = eventChannel(event);
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
  pathForFile(file: File) {
    return webUtils.getPathForFile(file);
  },
};

contextBridge.exposeInMainWorld('convoy', api);
