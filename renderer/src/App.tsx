import { useEffect, useMemo } from 'react';
import { AddPanel } from './components/AddPanel';
import { Banners, Footer } from './components/Banners';
import { OutputBar } from './components/OutputBar';
import { Dialogs } from './components/Dialogs';
import { Notices } from './components/Notices';
import { QueueList } from './components/QueueList';
import { Summary } from './components/Summary';
import { Toolbar } from './components/Toolbar';
import { ConvoyContext, createThrottledVersion, selectVisible, useApp, useConvoy, type ConvoyContextValue } from './context';
import { createController } from './controller';
import { createAppStore } from './store/appStore';
import { createQueueStore } from './store/queueStore';
import type { Connection } from './transport';
import './styles.css';

export interface AppProps {
  connection: Connection;
  /** Tests pass their own stores or a synchronous frame scheduler. */
  schedule?: (flush: () => void) => void;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Called once the context exists (benchmarks reach the stores through it). */
  onReady?: (ctx: ConvoyContextValue) => void;
}

function Header() {
  const { app } = useConvoy();
  const info = useApp((s) => s.info);
  return (
    <header className="app-header">
      <h1>
        Convoy{' '}
        {info ? (
          <span className="muted version" data-testid="app-info">
            {info.version} · {info.shell === 'browser' ? 'browser mode' : info.shell} · provider {info.provider === 'local' ? 'local engine' : 'api2convert'}
          </span>
        ) : (
          // The desktop window opens before the core is up (the keychain check can take seconds).
          <span className="muted version" role="status">
            Starting…
          </span>
        )}
      </h1>
      <nav aria-label="App">
        <button type="button" onClick={() => app.getState().openDialog({ kind: 'watch' })}>
          Watched folders
        </button>
        <button type="button" onClick={() => app.getState().openDialog({ kind: 'destinations' })}>
          Destinations
        </button>
        <button type="button" onClick={() => app.getState().openDialog({ kind: 'settings' })}>
          Settings
        </button>
      </nav>
    </header>
  );
}

export function App({ connection, schedule, storage, onReady }: AppProps) {
  const ctx = useMemo<ConvoyContextValue>(() => {
    const queue = createQueueStore();
    const app = createAppStore();
    const controller = createController({ connection, queue, app, schedule, storage });
    return { connection, controller, queue, app, visible: selectVisible(queue), throttled: createThrottledVersion(queue) };
  }, [connection, schedule, storage]);

  useEffect(() => {
    onReady?.(ctx);
    let stop: (() => void) | null = null;
    let cancelled = false;
    void ctx.controller.init().then((off) => {
      if (cancelled) off();
      else stop = off;
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [ctx, onReady]);

  return (
    <ConvoyContext.Provider value={ctx}>
      <div className="app">
        <Header />
        <Banners />
        <main className="app-main">
          <AddPanel />
          <OutputBar />
          <section className="queue" aria-label="Queue view">
            <Summary />
            <Toolbar />
            <QueueList />
          </section>
        </main>
        <Footer />
        <Notices />
        <Dialogs />
      </div>
    </ConvoyContext.Provider>
  );
}
