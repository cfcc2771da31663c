// A secret scan of the repository (issue 14, self-attack): every tracked file is searched for private
// keys (PEM blocks), Anfu's own credential formats, cloud and forge tokens, and long high-entropy
// values assigned to secret-sounding names. Findings print as path:line and the rule, never the value.
// Test vectors are allowed by path and rule in scripts/security/secret-allowlist.json, each with why.
// Usage: node --import tsx scripts/security/secret-scan.ts [DIR]   (exit 1 on any finding)
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface SecretRule {
  readonly id: string;
  readonly pattern: RegExp;
  /** The key material must follow the match (a PEM header alone, as code that writes keys holds it, is no key). */
  readonly followedBy?: RegExp;
  /** For generic rules: the captured value must look random (Shannon entropy, bits per character). */
  readonly entropyMin?: number;
}

export const secretRules: readonly SecretRule[] = [
  {
    id: 'pem-private-key',
    pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/,
    followedBy: /^(?:\\n|\s|["'`+]|\n)*[A-Za-z0-9+/]{40,}/,
  },
  { id: 'anfu-operator-token', pattern: /\banfu_op_[A-Za-z0-9_-]{32,}/ },
  { id: 'anfu-customer-token', pattern: /\banfu_(?:ca|cr)_[A-Za-z0-9_-]{32,}/ },
  { id: 'anfu-enrolment-code', pattern: /\banfu_en_[A-Za-z0-9_-]{20,}/ },
  { id: 'anfu-merchant-key', pattern: /\bmk_[0-9a-z]{26}\.[A-Za-z0-9_-]{40,}/ },
  { id: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { id: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/ },
  { id: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { id: 'slack-token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { id: 'private-key-jwk', pattern: /"d"\s*:\s*"[A-Za-z0-9_-]{40,}"/ },
  {
    id: 'assigned-secret',
    pattern: /(?:secret|password|passwd|api[_-]?key|token|kek)["']?\s*[:=]\s*["'`]([A-Za-z0-9+/_=-]{24,})["'`]/i,
    entropyMin: 4.0,
  },
];

export interface AllowEntry {
  /** A path relative to the scanned root; a trailing '/' allows the whole folder. */
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

export interface SecretFinding {
  readonly path: string;
  readonly line: number;
  readonly rule: string;
}

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

function allowed(allowlist: readonly AllowEntry[], path: string, rule: string): boolean {
  return allowlist.some((a) => a.rule === rule && (a.path.endsWith('/') ? path.startsWith(a.path) : a.path === path));
}

/** Findings in one file's text. */
export function scanText(path: string, text: string, allowlist: readonly AllowEntry[] = []): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const rule of secretRules) {
      const match = rule.pattern.exec(line);
      if (match === null) continue;
      if (rule.followedBy !== undefined) {
        const after = `${line.slice(match.index + match[0].length)}\n${lines[i + 1] ?? ''}`;
        if (!rule.followedBy.test(after)) continue;
      }
      if (rule.entropyMin !== undefined && shannonEntropy(match[1] ?? match[0]) < rule.entropyMin) continue;
      if (!allowed(allowlist, path, rule.id)) findings.push({ path, line: i + 1, rule: rule.id });
    }
  });
  return findings;
}

const binary = /\.(?:png|jpe?g|gif|ico|woff2?|ttf|pdf|zip|gz|tgz|db|sqlite|wasm)$/i;

/** The repository's tracked files (git ls-files), or every file under `root` when it is not a repository. */
function filesOf(root: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 64 << 20 }).toString('utf8');
  return out.split('\0').filter((f) => f !== '' && !binary.test(f));
}

export function loadAllowlist(root: string): AllowEntry[] {
  const path = join(root, 'scripts', 'security', 'secret-allowlist.json');
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { allow: AllowEntry[] }).allow;
  } catch {
    return [];
  }
}

export function scanRepository(root: string, allowlist = loadAllowlist(root)): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of filesOf(root)) {
    const full = join(root, file);
    let size: number;
    try {
      size = statSync(full).size;
    } catch {
      continue; // tracked but deleted in the work tree
    }
    if (size > 2 << 20) continue;
    findings.push(...scanText(file, readFileSync(full, 'utf8'), allowlist));
  }
  return findings;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..'));
  const findings = scanRepository(root);
  for (const f of findings) console.log(`${f.path}:${f.line}: ${f.rule}`);
  console.log(findings.length === 0 ? 'secret scan: no findings' : `secret scan: ${findings.length} finding(s)`);
  process.exit(findings.length === 0 ? 0 : 1);
}
