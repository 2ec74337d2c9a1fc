// support/linuxKernel.ts: finds a real Linux kernel (Debian's linux-image-<version>-amd64 bzImage) for the
// boot tests, fetching it with apt-get into a cache outside git (node_modules/.cache/trampoline-linux/,
// or $TRAMPOLINE_LINUX_CACHE) the first time. Only ./boot/vmlinuz-* is unpacked from the .deb. A kernel
// is never committed; without network (or apt/dpkg) the tests skip with the reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the .deb and the unpacked /boot go. */
export function linuxCacheDir(): string {
  return process.env.TRAMPOLINE_LINUX_CACHE ?? join(repoRoot(), 'node_modules', '.cache', 'trampoline-linux');
}

/** The checkout: the first folder above this file's (out/test/support, or a bench bundle) with a package.json. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function findVmlinuz(cache: string): string | undefined {
  const boot = join(cache, 'boot');
  if (!existsSync(boot)) return undefined;
  const f = readdirSync(boot).filter((n) => /^vmlinuz-.*-amd64$/.test(n)).sort().pop();
  return f === undefined ? undefined : join(boot, f);
}

function stderrOf(e: unknown): string {
  return String((e as { stderr?: Buffer }).stderr ?? e).trim().slice(0, 300);
}

/**
 * The path of a Debian amd64 vmlinuz ($TRAMPOLINE_LINUX_KERNEL wins), or the reason there is none.
 * `linux-image-amd64` is a metapackage: its Depends names the real package (linux-image-6.1.0-NN-amd64).
 */
export function debianKernel(): { path: string } | { skip: string } {
  const given = process.env.TRAMPOLINE_LINUX_KERNEL;
  if (given) return existsSync(given) ? { path: given } : { skip: `$TRAMPOLINE_LINUX_KERNEL=${given} does not exist` };
  const cache = linuxCacheDir();
  const found = findVmlinuz(cache);
  if (found) return { path: found };
  mkdirSync(cache, { recursive: true });
  let deb = readdirSync(cache).find((f) => /^linux-image-.*-amd64.*\.deb$/.test(f));
  if (!deb) {
    let pkg: string | undefined;
    try {
      const depends = execFileSync('apt-cache', ['depends', 'linux-image-amd64'], { stdio: 'pipe', encoding: 'utf8' });
      pkg = /Depends:\s*(linux-image-\S+-amd64)\b/.exec(depends)?.[1];
    } catch (e) {
      return { skip: `apt-cache depends linux-image-amd64 failed: ${stderrOf(e)}` };
    }
    if (!pkg) return { skip: 'apt-cache depends linux-image-amd64 names no linux-image-<version>-amd64 package' };
    try {
      execFileSync('apt-get', ['download', pkg], { cwd: cache, stdio: 'pipe' });
    } catch (e) {
      return { skip: `apt-get download ${pkg} failed (no network?): ${stderrOf(e)}` };
    }
    deb = readdirSync(cache).find((f) => /^linux-image-.*-amd64.*\.deb$/.test(f));
    if (!deb) return { skip: `apt-get download ${pkg} produced no .deb` };
  }
  try {
    // Only the kernel: the modules are most of the package's 70 MB.
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./boot/vmlinuz-*"', 'sh', join(cache, deb), cache], { stdio: 'pipe' });
  } catch (e) {
    return { skip: `unpacking ${deb} (dpkg-deb, tar) failed: ${stderrOf(e)}` };
  }
  const path = findVmlinuz(cache);
  return path ? { path } : { skip: `${deb} holds no boot/vmlinuz-*-amd64` };
}
