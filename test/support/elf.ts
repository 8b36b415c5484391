// What a shared object (the addon) asks of the system at load time.
import { execFileSync } from 'node:child_process';

/** The shared libraries `file` names as DT_NEEDED (readelf -d). */
export function neededLibraries(file: string): string[] {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/** The libraries of glibc itself: all a prebuilt addon may need. */
export const GLIBC_LIBRARY = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux[-\w.]*\.so\.\d)$/;
