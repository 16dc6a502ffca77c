import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The repository (or installed package) root: the nearest directory above this
 * file holding package.json. The same code runs from TypeScript sources (jest)
 * and from compiled `dist/`, one level deeper, so paths are never hard-coded
 * relative to `__dirname`.
 */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  cached = dir;
  return dir;
}

/** A path inside the repository, e.g. `repoPath('schema', 'pages.graphql')`. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}
