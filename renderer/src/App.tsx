import { useEffect, useState } from 'react';
import type { AppInfo } from '../../preload/contract';
import type { connect } from './transport';

/** Placeholder shell: shows what main reports through the contract. The real UI replaces it. */
export function App({ connection }: { connection: ReturnType<typeof connect> }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    connection.api.invoke('app.info').then(setInfo, (e: Error) => setError(e.message));
  }, [connection]);
  return (
    <main>
      <h1>Convoy</h1>
      {error && <p role="alert">{error}</p>}
      {info && (
        <p data-testid="app-info">
          Convoy {info.version} · {info.shell} · provider {info.provider}
        </p>
      )}
    </main>
  );
}
