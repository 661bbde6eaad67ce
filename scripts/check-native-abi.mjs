// Checks that every native module (.node) in a folder can load in Electron: either N-API (loads in
// any runtime) or built for Electron's own ABI (node_modules/electron/abi_version). A module built
// for Node's ABI (node_register_module_v115 for Node 20) would make the app fail at start.
// Usage: node scripts/check-native-abi.mjs <folder>…   (exit 1 when one would not load)
import fs from 'node:fs';
import path from 'node:path';

export function electronAbi(root = process.cwd()) {
  return Number(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'abi_version'), 'utf8').trim());
}

/** 'napi' | { abi: number } | 'unknown' for one .node file (read from its exported symbol names). */
export function nativeKind(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.includes('napi_register_module_v1')) return 'napi';
  const m = /node_register_module_v(\d+)/.exec(bytes.toString('latin1'));
  return m ? { abi: Number(m[1]) } : 'unknown';
}

export function findNativeModules(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.node')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Every .node under `dirs` with its kind and whether Electron (ABI `abi`) can load it. */
export function checkNativeModules(dirs, abi) {
  return dirs.flatMap(findNativeModules).map((file) => {
    const kind = nativeKind(file);
    return { file, kind, loads: kind === 'napi' || (typeof kind === 'object' && kind.abi === abi) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const abi = electronAbi();
  const results = checkNativeModules(process.argv.slice(2), abi);
  for (const r of results) console.log(`${r.loads ? 'ok ' : 'BAD'} ${typeof r.kind === 'object' ? `ABI ${r.kind.abi}` : r.kind} ${r.file}`);
  const bad = results.filter((r) => !r.loads);
  console.log(`${results.length} native modules, ${bad.length} that Electron (ABI ${abi}) cannot load`);
  process.exit(bad.length ? 1 : 0);
}
