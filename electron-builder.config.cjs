// Packaging (electron-builder). Signing and notarization are wired to the environment and skipped
// when it has no credentials, so an unsigned build still works on a developer's machine:
//  - macOS: CSC_LINK + CSC_KEY_PASSWORD (or CSC_NAME) sign; APPLE_API_KEY + APPLE_API_KEY_ID +
//    APPLE_API_ISSUER, or APPLE_ID + APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID, notarize.
//  - Windows: WIN_CSC_LINK (or CSC_LINK) + WIN_CSC_KEY_PASSWORD sign the installer and app.
// The app loads no ABI-specific native module (SQLite is Node's built-in node:sqlite inside
// Electron; sharp, the keychain and ngrok are N-API), so nothing is rebuilt: a rebuild would also
// replace the Node builds in node_modules that `npm test`, the CLI and browser mode use.
const env = process.env;
const macSigning = Boolean(env.CSC_LINK || env.CSC_NAME);
const notarize =
  macSigning &&
  Boolean((env.APPLE_API_KEY && env.APPLE_API_KEY_ID && env.APPLE_API_ISSUER) || (env.APPLE_ID && env.APPLE_APP_SPECIFIC_PASSWORD && env.APPLE_TEAM_ID));

/** Files Convoy opens (Finder's "Open With", Explorer's "Open with", the Linux desktop file). */
const openable = [
  ['Image', ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'bmp', 'avif', 'heic', 'svg']],
  ['Document', ['pdf', 'doc', 'docx', 'odt', 'rtf', 'txt', 'xls', 'xlsx', 'ods', 'ppt', 'pptx', 'odp']],
  ['Audio', ['mp3', 'wav', 'flac', 'ogg', 'm4a', 'aac', 'opus']],
  ['Video', ['mp4', 'mov', 'mkv', 'webm', 'avi']],
];

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'com.convoy.app',
  productName: 'Convoy',
  copyright: 'Copyright © Convoy contributors',
  directories: { output: 'release', buildResources: 'build' },
  // Only what runs: the built bundles (main, preload, renderer, CLI, icons) and package.json;
  // production dependencies are added by electron-builder; the renderer's libraries are bundled.
  files: [
    'dist/**',
    '!dist/**/*.map',
    'package.json',
    '!node_modules/better-sqlite3/**',
    '!node_modules/**/{test,tests,docs,example,examples}/**',
    '!node_modules/**/*.{md,map,ts,cc,h,c,gyp}',
    '!node_modules/**/*.d.ts',
    // Builds for other runtimes that Node/Electron never load: browser and React Native bundles,
    // pdf-lib's UMD/ESM/TypeScript copies (Node takes its cjs), the Bare runtime's modules (tar-stream
    // maps them only under the "bare" condition).
    '!node_modules/**/dist/{browser,react-native}/**',
    '!node_modules/pdf-lib/{dist,es,src,ts3.4}/**',
    '!node_modules/bare-*/**',
  ],
  asarUnpack: ['**/node_modules/sharp/**', '**/node_modules/@img/**', '**/node_modules/@napi-rs/**', '**/node_modules/@ngrok/**'],
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    // The page comes from convoy://app (main/electron/protocol.ts), not file://.
    grantFileProtocolExtraPrivileges: false,
  },
  fileAssociations: openable.map(([name, ext]) => ({ name: `${name} file`, ext, role: 'Viewer', rank: 'Alternate' })),
  // electron-updater reads this feed ("Check for Updates…"); CONVOY_UPDATE_URL points at a mirror.
  publish: env.CONVOY_UPDATE_URL ? [{ provider: 'generic', url: env.CONVOY_UPDATE_URL }] : [{ provider: 'github', owner: 'convoy-app', repo: 'convoy' }],
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Utility',
    icon: 'build/icons',
    executableName: 'convoy-desktop',
    synopsis: 'Batch file conversion through api2convert or a local engine',
    mimeTypes: ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/tiff', 'image/bmp', 'application/pdf', 'audio/mpeg', 'video/mp4'],
    desktop: { entry: { StartupWMClass: 'Convoy', Keywords: 'convert;image;pdf;batch;' } },
  },
  deb: { depends: ['libnotify4', 'libxtst6', 'libnss3', 'libsecret-1-0'], recommends: ['ffmpeg', 'libreoffice-core'] },
  mac: {
    target: ['dmg', 'zip'], // zip: what electron-updater downloads on macOS
    category: 'public.app-category.productivity',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    identity: macSigning ? undefined : null,
    notarize,
  },
  win: { target: ['nsis'], icon: 'build/icon.ico' },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true, perMachine: false },
};
