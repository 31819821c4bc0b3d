// Runs before each test file of .ci/jest.rxjs.config.js: fails the file unless the rxjs that
// `require('rxjs')` loads is the expected version, and records what it saw.
const fs = require('node:fs');
const pkg = require('rxjs/package.json');
const expected = process.env.RXJS_VERSION;
if (expected && pkg.version !== expected) {
  throw new Error(`the tests load rxjs ${pkg.version}, expected ${expected}`);
}
if (process.env.RXJS_SEEN) fs.writeFileSync(process.env.RXJS_SEEN, `${pkg.version}\n`);
