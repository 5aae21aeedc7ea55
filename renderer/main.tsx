import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { ClientContext } from './ipc/client-context.js';
import { startEventBridge } from './ipc/event-bridge.js';
import { createOcrClient, pickTransport } from './ipc/ocr-client.js';
import { bindAppStore, createAppStore } from './store/index.js';
import './styles.css';

const client = createOcrClient(pickTransport(window));
const store = createAppStore(client);
bindAppStore(store);
startEventBridge(client, store);

// Pick up a session main already holds (a reloaded tab), then the engine's state.
void store.getState().restoreSession();
void store.getState().loadSettings();
void store.getState().loadEngine();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <ClientContext.Provider value={client}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
);
