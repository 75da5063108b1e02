import type { Page } from 'playwright-core';

/** Runs a command from the VS Code command palette in the browser page (code-server or desktop), as a user would. */
export async function palette(page: Page, command: string): Promise<void> {
  await page.click('.command-center-center');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.waitForTimeout(300);
  await page.keyboard.type(`>${command}`);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${command}"]`, { timeout: 10_000 });
  await page.keyboard.press('Enter');
}
