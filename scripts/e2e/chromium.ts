import { chromium, type Browser } from 'playwright-core';

/** The system Chromium that the tests and measurements drive (apt-get install -y chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/** No sandbox, no GPU, no first-run page and no background network traffic (updates, sync, QUIC). */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches headless Chromium with those flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}
