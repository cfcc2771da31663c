#!/usr/bin/env bash
# Self-attack, supply chain and repository (issue 14): the lockfile only resolves over HTTPS from the
# npm registry with integrity hashes (lockfile-lint), no secret is committed (secret scan with an
# allowlist for test vectors), and no high or critical advisory when the registry answers (npm audit).
# Exit code 1 on any finding. The same checks run in the suite (src/security/supply-chain.test.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
failures=0
npx --no-install lockfile-lint --path package-lock.json --type npm --allowed-hosts npm \
  --validate-https --validate-integrity --validate-package-names || failures=$((failures + 1))
node --import tsx scripts/security/secret-scan.ts || failures=$((failures + 1))
node --import tsx scripts/security/dependency-audit.ts || failures=$((failures + 1))
if [[ $failures -gt 0 ]]; then echo "supply-chain self-attack: $failures check(s) failed"; exit 1; fi
echo "supply-chain self-attack: clean"
