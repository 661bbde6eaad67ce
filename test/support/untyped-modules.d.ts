// Test-only servers that ship without type declarations; test/support/cloud-servers.ts types what it uses.
declare module 's3rver';
declare module 's3rver/lib/models/account.js';
