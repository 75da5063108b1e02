// The end-to-end suite (test/e2e/suite.ts) in code-server 4.100.3 (it bundles VS Code 1.100.3, so
// no download) driven through headless Chromium. The same cases run in VS Code desktop under
// @vscode/test-electron with `npm run test:vscode` (scripts/e2e/vscodeElectron.ts).
import { launchChromium } from '../../scripts/e2e/chromium';
import { startCodeServer } from '../../scripts/e2e/codeServer';
import { e2eSuite } from './suite';

e2eSuite({
  name: 'code-server',
  screenshots: 'e2e-screenshots',
  async start(dir, workspace, vsix) {
    const server = await startCodeServer(dir, workspace, vsix);
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    return {
      page,
      descendants: () => server.descendants(),
      stop: async () => { await browser.close(); await server.stop(); },
    };
  },
});
