/** The panel webview's entry (bundled to dist/webview.js). */
import { panelResultValidators, panelViewEventValidators } from '../extension/protocol/panel';
import { RpcPeer } from '../runtime/protocol/rpc';
import { PanelApp, type PanelPeer } from './app';
import { vscodeChannel } from './vscodeChannel';

const root = document.getElementById('app');
if (!root) throw new Error('the panel HTML has no #app element');
const peer: PanelPeer = new RpcPeer(vscodeChannel(), {
  eventValidators: panelViewEventValidators,
  resultValidators: panelResultValidators,
  onInvalid: (reason) => console.warn(`AttnScope panel refused a message: ${reason}`),
});
new PanelApp(root, peer);
peer.notify('ready', {});
