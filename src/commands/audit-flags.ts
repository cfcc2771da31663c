// The flags the audit commands add to the CLI's parser, apart so the CLI parses them without loading
// the audit commands.
/** Flags these commands add to the CLI's parser. */
export const auditFlagOptions = {
  file: { type: 'string' },
  out: { type: 'string' },
  'public-key': { type: 'string' },
  'public-key-out': { type: 'string' },
  seq: { type: 'string' },
  'tree-size': { type: 'string' },
  first: { type: 'string' },
  second: { type: 'string' },
} as const;
