// What a shared object (the addon) asks of the system at load time.
import { execFileSync } from 'node:child_process';

/** The shared libraries `file` names as DT_NEEDED (readelf -d). */
export function neededLibraries(file: string): string[] {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/** The libraries of glibc itself: all a prebuilt addon may need. */
export const GLIBC_LIBRARY = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux[-\w.]*\.so\.\d)$/;

/** The oldest glibc the prebuilt addon must load on (binding/glibc-floor.c). */
export const GLIBC_FLOOR = '2.28';

/** The glibc versions the dynamic symbols of `file` ask for (objdump -T):
 *  "2.2.5", "2.17", ..., each once, oldest first. */
export function glibcVersions(file: string): string[] {
  const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const versions = new Set([...symbols.matchAll(/\bGLIBC_(\d+(?:\.\d+)*)\b/g)].map((m) => m[1]));
  return [...versions].sort(compareVersions);
}

/** Orders dotted version numbers: "2.9" before "2.17". */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number), y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
