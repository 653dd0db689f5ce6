import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What package-lock.json (v3) says of one installed package. */
interface LockEntry {
  name?: string;
  version: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

/** The fields of a lock entry a registry's version document carries, for npm to resolve and install it. */
const MANIFEST_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'engines',
  'os',
  'cpu',
  'hasInstallScript',
] as const;

export interface LocalRegistry {
  url: string;
  /** Requests it could not answer (a package or tarball it does not hold), optional peers left out. */
  misses: string[];
  close(): Promise<void>;
}

/** The cacache path of a tarball by its integrity (`sha512-<base64>`), as npm stores it. */
function cachedTarball(cacheDir: string, integrity: string): string | undefined {
  const m = /^(sha512|sha1)-(\S+)/.exec(integrity);
  if (!m) return undefined;
  const hex = Buffer.from(m[2]!, 'base64').toString('hex');
  const path = join(cacheDir, '_cacache', 'content-v2', m[1]!, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return existsSync(path) ? path : undefined;
}

/**
 * An npm registry on 127.0.0.1 holding exactly the project's locked production packages, their tarballs read from
 * the npm cache `npm ci` filled: an install from it reaches no other host. Version documents come from the
 * lockfile's entries (dependencies, bin, engines, os/cpu, install scripts), which is all npm resolves with.
 */
export async function localRegistry(lockPath: string, cacheDir: string): Promise<LocalRegistry> {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, LockEntry> };
  const versions = new Map<string, Map<string, LockEntry>>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || entry.link || !entry.integrity) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!versions.has(name)) versions.set(name, new Map());
    versions.get(name)!.set(entry.version, entry);
  }
  // optional peers nobody installed (pg's pg-native): npm asks for them and takes a 404 as "leave it out"
  const optionalPeers = new Set<string>();
  for (const entry of Object.values(lock.packages)) {
    const meta = (entry.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    for (const [peer, m] of Object.entries(meta)) if (m.optional) optionalPeers.add(peer);
  }
  const misses: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const tarball = /^\/-\/tarball\/(.+)\/-\/([^/]+)\.tgz$/.exec(path);
    if (tarball) {
      const entry = versions.get(tarball[1]!)?.get(tarball[2]!);
      const file = entry?.integrity && cachedTarball(cacheDir, entry.integrity);
      if (!file) {
        misses.push(path);
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    const name = path.slice(1);
    const known = versions.get(name);
    if (!known) {
      if (!optionalPeers.has(name)) misses.push(path);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const docs: Record<string, unknown> = {};
    let latest = '';
    for (const [version, entry] of known) {
      const doc: Record<string, unknown> = { name, version };
      for (const f of MANIFEST_FIELDS) if (entry[f] !== undefined) doc[f] = entry[f];
      doc.dist = { tarball: `${base}/-/tarball/${name}/-/${version}.tgz`, integrity: entry.integrity };
      docs[version] = doc;
      latest = version;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, 'dist-tags': { latest }, versions: docs }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${base}/`, misses, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
