/** User settings both end-to-end harnesses (code-server, VS Code desktop) start VS Code with. */
export const E2E_USER_SETTINGS = {
  'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'files.simpleDialog.enable': true,
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'workbench.tips.enabled': false,
  'window.titleBarStyle': 'custom', 'window.commandCenter': true, 'update.mode': 'none', 'telemetry.telemetryLevel': 'off',
  'git.openRepositoryInParentFolders': 'never',
};
