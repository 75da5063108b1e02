import type { Page } from 'playwright-core';

/**
 * Runs a command from the VS Code command palette in the browser page (code-server or desktop), as a
 * user would. On a cold, loaded machine the workbench can show the command center well before the
 * installed extensions' commands are registered, or a notification can take the focus while the
 * command is typed; so the palette is closed and opened again until the command's row appears or
 * `timeoutMs` passes. The error then names the rows the palette did show.
 */
export async function palette(page: Page, command: string, timeoutMs = 90_000): Promise<void> {
  const row = `.quick-input-list .monaco-list-row[aria-label*="${command}"]`;
  const t0 = Date.now();
  let shown: string[] = [];
  for (let attempt = 0; Date.now() - t0 < timeoutMs; attempt++) {
    if (attempt > 0) { await page.keyboard.press('Escape'); await page.waitForTimeout(1_000); }
    await page.click('.command-center-center');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+a');
    await page.keyboard.type(`>${command}`);
    try {
      await page.waitForSelector(row, { timeout: Math.min(10_000, Math.max(1_000, timeoutMs - (Date.now() - t0))) });
      await page.keyboard.press('Enter');
      return;
    } catch {
      shown = await page.$$eval('.quick-input-list .monaco-list-row', (els) => els.map((e) => e.getAttribute('aria-label') ?? '')).catch(() => []);
    }
  }
  await page.keyboard.press('Escape');
  throw new Error(`the command palette did not offer "${command}" within ${timeoutMs} ms; it showed: ${shown.slice(0, 8).join(' | ') || 'no rows'}`);
}
