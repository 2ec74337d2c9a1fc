// playwright.config.ts: Playwright settings for the UI end-to-end specs (test/ui/*.spec.ts), which drive a
// code-server that scripts/uiTest.mjs has started (TRAMPOLINE_UI_URL) with Debian's chromium — Playwright's
// own browser download is unreachable here. One worker: the specs share one server and two CPU cores.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: process.env.TRAMPOLINE_UI_RESULTS ?? '../../out-ui-results',
  workers: 1,
  retries: 0,
  forbidOnly: process.env.CI !== undefined,
  // The whole walk: ~30 s until the extension host is ready, then the debugging steps.
  timeout: 5 * 60e3,
  expect: { timeout: 30e3 },
  reporter: [['list']],
  use: {
    viewport: { width: 1680, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 30e3,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    },
  },
});
