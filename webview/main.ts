/** The panel webview's entry (bundled to dist/webview.js). */
import { panelResultValidators, panelViewEventValidators } from '../extension/protocol/panel';
import { RpcPeer } from '../runtime/protocol/rpc';
import { PanelApp, type PanelPeer } from './app';
import { vscodeApi } from './vscodeChannel';

const root = document.getElementById('app');
if (!root) throw new Error('the panel HTML has no #app element');
const { channel, state } = vscodeApi();
const peer: PanelPeer = new RpcPeer(channel, {
  eventValidators: panelViewEventValidators,
  resultValidators: panelResultValidators,
  onInvalid: (reason) => console.warn(`AttnScope panel refused a message: ${reason}`),
});
new PanelApp(root, peer, state);
peer.notify('ready', {});
