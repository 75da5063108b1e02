/** The webview end of the panel channel: VS Code's postMessage API and the window message event, and its state store. */
import type { Channel } from '../runtime/protocol/rpc';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the webview keeps across a window reload (VS Code stores it with the panel). */
export interface StateStore {
  get(): unknown;
  set(state: unknown): void;
}

/** acquireVsCodeApi() may be called once per page: the channel and the state store share it. */
export function vscodeApi(): { channel: Channel; state: StateStore } {
  const api = acquireVsCodeApi();
  return {
    channel: {
      post: (m) => api.postMessage(m),
      onMessage: (l) => {
        const f = (e: MessageEvent): void => l(e.data);
        window.addEventListener('message', f);
        return () => window.removeEventListener('message', f);
      },
    },
    state: { get: () => api.getState(), set: (s) => api.setState(s) },
  };
}
