/**
 * The UI over the fake API, for benchmarks and screenshots without a host. Query parameters:
 * `seed` (items at start), `simulate` (process started items), `rate` (events per second),
 * `fail` (URLs containing this fail), `serialize` (JSON round trips like a real transport), `noui`
 * (the fake alone). Never part of the production build.
 */
import { createRoot } from 'react-dom/client';
import { App } from '../App';
import type { ConvoyApi } from '../../../preload/contract';
import type { ConvoyContextValue } from '../context';
import { createFakeApi, type FakeApi } from './fake-api';

declare global {
  interface Window {
    __fake?: FakeApi;
    __convoy?: ConvoyContextValue;
  }
}

const params = new URLSearchParams(window.location.search);
const fake = createFakeApi({
  seedItems: Number(params.get('seed') ?? 0),
  simulate: params.has('simulate'),
  eventRate: Number(params.get('rate') ?? 40),
  failMatching: params.get('fail') ?? undefined,
});
window.__fake = fake;

// `serialize`: every call and event goes through JSON, as over the real transports.
const api: ConvoyApi = params.has('serialize')
  ? {
      invoke: async (method, args) => JSON.parse(JSON.stringify(await fake.invoke(method, args === undefined ? undefined : JSON.parse(JSON.stringify(args))))),
      on: (event, listener) => fake.on(event, (payload) => listener(JSON.parse(JSON.stringify(payload)))),
    }
  : fake;

// `noui`: only the fake (to tell its memory from the renderer's).
if (!params.has('noui')) {
  createRoot(document.getElementById('root')!).render(<App connection={{ api, mode: 'browser' }} storage={null} onReady={(ctx) => (window.__convoy = ctx)} />);
}
