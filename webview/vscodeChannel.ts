/** The webview end of the panel channel: VS Code's postMessage API and the window message event. */
import type { Channel } from '../runtime/protocol/rpc';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export function vscodeChannel(): Channel {
  const api = acquireVsCodeApi();
  return {
    post: (m) => api.postMessage(m),
    onMessage: (l) => {
      const f = (e: MessageEvent): void => l(e.data);
      window.addEventListener('message', f);
      return () => window.removeEventListener('message', f);
    },
  };
}
