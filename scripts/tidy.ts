// The scan behind src/tidy.test.ts (the house rules; see docs/ARCHITECTURE.md "Guard rails"), and a
// command that lowers src/tidy-ratchet.json to what the code now holds. It never raises an entry: a new
// violation is fixed, not listed.  Usage: node --import tsx scripts/tidy.ts --shrink
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const root = resolve(import.meta.dirname, '..');
export const lineWidthMax = 120;
export const functionLinesMax = 70;
/** Folders only the entry points (and the folders themselves) may import. */
const edgeFolders = ['http', 'wiring', 'commands'];
const entryPoints = new Set(['src/cli.ts', 'src/serve.ts']);
/** Where a decision must get its clock and randomness passed in. */
const deciderPaths = [/^src\/ledger\//, /^src\/payments\/decide[^/]*\.ts$/, /^src\/risk\//];

export interface Ratchet {
  readonly lineWidth: Record<string, number>;
  readonly functionLength: Record<string, number>;
  readonly doorImports: Record<string, number>;
  readonly edgeImports: Record<string, number>;
  readonly clockInDeciders: Record<string, number>;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Tests and the helpers that build what tests need; they may reach anywhere. */
function isTestCode(path: string): boolean {
  return /\.test\.ts$|\/testing\.ts$|\/testing\/|\/test-app\.ts$|-test-app\.ts$/.test(path);
}

/** The capability (first folder under src/) a path belongs to; root files (config, errors, ids) have none. */
function folderOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts.length > 2 ? parts[1] : undefined;
}

function importsOf(file: ts.SourceFile): string[] {
  const found: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier !== undefined && ts.isStringLiteral(specifier)) found.push(specifier.text);
  }
  return found;
}

function countOf(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function longFunctions(file: ts.SourceFile): number {
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > functionLinesMax) count += 1;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return count;
}

type Counts = Record<string, number>;

function importViolations(path: string, file: ts.SourceFile, doors: Counts, edges: Counts): void {
  const from = folderOf(path);
  for (const specifier of importsOf(file)) {
    if (!specifier.startsWith('.')) continue;
    const target = relative(root, resolve(root, dirname(path), specifier)).split('\\').join('/');
    const to = folderOf(target);
    if (isTestCode(target)) countOf(edges, `${path} -> ${target}`);
    if (to === undefined || to === from) continue;
    if (edgeFolders.includes(to)) {
      const composes = entryPoints.has(path) || from === 'wiring' || from === 'commands';
      if (!composes) countOf(edges, `${path} -> ${target}`);
      continue;
    }
    // A folder with a door (index.ts) is entered through it; flows/ has none and is entered by its files.
    if (!target.endsWith(`/${to}/index.ts`) && existsDoor(to)) countOf(doors, `${path} -> ${target}`);
  }
}

const doorCache = new Map<string, boolean>();
function existsDoor(folder: string): boolean {
  if (!doorCache.has(folder)) doorCache.set(folder, readdirSync(join(root, 'src', folder)).includes('index.ts'));
  return doorCache.get(folder) === true;
}

export function scan(): Ratchet {
  const found: Ratchet = { lineWidth: {}, functionLength: {}, doorImports: {}, edgeImports: {}, clockInDeciders: {} };
  for (const path of sourceFiles('src').sort()) {
    const text = readFileSync(join(root, path), 'utf8');
    const lines = text.split('\n');
    const wide = lines.filter((line) => line.length > lineWidthMax).length;
    if (wide > 0) found.lineWidth[path] = wide;
    if (isTestCode(path)) continue;
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const long = longFunctions(file);
    if (long > 0) found.functionLength[path] = long;
    importViolations(path, file, found.doorImports, found.edgeImports);
    if (deciderPaths.some((pattern) => pattern.test(path))) {
      const code = lines.filter((line) => !line.trimStart().startsWith('//'));
      const reads = code.filter((line) => /\bDate\.now\(|\bMath\.random\(/.test(line)).length;
      if (reads > 0) found.clockInDeciders[path] = reads;
    }
  }
  return found;
}

export const ratchetPath = join(root, 'src/tidy-ratchet.json');

export function readRatchet(): Ratchet {
  return JSON.parse(readFileSync(ratchetPath, 'utf8')) as Ratchet;
}

/** The ratchet with every entry lowered to what `found` holds (entries never rise). */
export function shrunk(ratchet: Ratchet, found: Ratchet): Ratchet {
  const lowered = {} as Record<keyof Ratchet, Record<string, number>>;
  for (const rule of Object.keys(ratchet) as (keyof Ratchet)[]) {
    const entries = Object.entries(ratchet[rule])
      .map(([key, count]): [string, number] => [key, Math.min(count, found[rule][key] ?? 0)])
      .filter(([, count]) => count > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    lowered[rule] = Object.fromEntries(entries);
  }
  return lowered;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (!process.argv.includes('--shrink')) {
    console.log(JSON.stringify(scan(), null, 2));
  } else {
    writeFileSync(ratchetPath, `${JSON.stringify(shrunk(readRatchet(), scan()), null, 2)}\n`);
    console.log(`lowered ${relative(process.cwd(), ratchetPath)}`);
  }
}
