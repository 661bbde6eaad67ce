/**
 * The sandboxed preload: exposes `window.convoy` with narrow functions only — `invoke` for a known
 * contract method, `on` for a known event, `pathForFile` for dropped files — never ipcRenderer.
 * `invoke` resolves to main's `Reply` as it is (the renderer rebuilds `ContractError` from it):
 * an error thrown across contextBridge would arrive as a bare `Error(message)` without its code.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { eventChannel, isEventName, isMethodName, methodChannel, type ConvoyBridge, type Reply } from './contract';

const bridge: ConvoyBridge = {
  invoke(method, args) {
    if (!isMethodName(method)) {
      return Promise.resolve({ ok: false, error: { code: 'not_found', message: `Unknown method "${String(method)}"` } } as Reply<never>);
    }
    return ipcRenderer.invoke(methodChannel(method), args) as Promise<Reply<never>>;
  },
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`Unknown event "${String(event)}"`);
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

contextBridge.exposeInMainWorld('convoy', bridge);
