// The end-to-end suite (test/e2e/suite.ts) in VS Code desktop under @vscode/test-electron; run by
// `npm run test:vscode` (scripts/e2e/test-vscode.ts), which downloads VS Code first.
import { e2eSuite } from '../../test/e2e/suite';
import { electronHarness } from './vscodeElectron';

e2eSuite(electronHarness);
