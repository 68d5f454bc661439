// End-to-end tests against the release build, served by `cargo xtask test`
// (LLMEM_SITE) with the deployment headers, in Debian's headless Chromium.
import { defineConfig } from '@playwright/test';

// Flags for Chromium on these machines: no GPU, and no background
// networking (the network is closed; Chromium would flood it with retries).
const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: './e2e',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../target/e2e/test-results',
  use: {
    baseURL: process.env.LLMEM_SITE,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
});
