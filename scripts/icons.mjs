// Renders every icon the app and its installers need from one source, build/icon.svg:
// build/icons/<n>x<n>.png (Linux), build/icon.png (1024), build/icon.ico (Windows, PNG entries),
// build/icon.icns (macOS, PNG entries), and <dist>/icons/{icon,drag}.png for the running app.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// ICNS element types holding PNG data, by pixel size.
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];

export async function renderIcons({ buildDir = 'build', distDir = 'dist' } = {}) {
  const svg = fs.readFileSync(path.join(buildDir, 'icon.svg'));
  const png = {};
  for (const size of SIZES)
    png[size] = await sharp(svg, { density: Math.max(72, ((72 * size) / 1024) * 4) })
      .resize(size, size)
      .png()
      .toBuffer();
  fs.mkdirSync(path.join(buildDir, 'icons'), { recursive: true });
  for (const size of SIZES) fs.writeFileSync(path.join(buildDir, 'icons', `${size}x${size}.png`), png[size]);
  fs.writeFileSync(path.join(buildDir, 'icon.png'), png[1024]);
  fs.writeFileSync(path.join(buildDir, 'icon.ico'), ico(ICO_SIZES.map((s) => [s, png[s]])));
  fs.writeFileSync(path.join(buildDir, 'icon.icns'), icns(ICNS_TYPES.map(([type, s]) => [type, png[s]])));
  fs.mkdirSync(path.join(distDir, 'icons'), { recursive: true });
  fs.writeFileSync(path.join(distDir, 'icons', 'icon.png'), png[256]);
  fs.writeFileSync(path.join(distDir, 'icons', 'drag.png'), png[64]);
}

/** ICO with PNG-compressed entries (Windows Vista and later). */
function ico(entries) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(entries.length, 4);
  const dir = Buffer.alloc(16 * entries.length);
  let offset = 6 + dir.length;
  entries.forEach(([size, data], i) => {
    const e = i * 16;
    dir.writeUInt8(size >= 256 ? 0 : size, e);
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(data.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, dir, ...entries.map(([, d]) => d)]);
}

/** ICNS: 'icns' + total length, then (type, length, PNG) elements. */
function icns(entries) {
  const parts = entries.map(([type, data]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

if (import.meta.url === `file://${process.argv[1]}`) await renderIcons();
