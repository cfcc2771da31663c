// The report as one self-contained HTML page: inline style only, no script, no external origin, and
// every value escaped (evidence quotes names and settings that came from the store).
import { indicators, type Assessment, type AssessmentRow, type Result } from './types.ts';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

const colours: Record<Result, string> = {
  pass: '#1a7f37',
  attested: '#0969da',
  warn: '#9a6700',
  fail: '#cf222e',
  unknown: '#6e7781',
  not_attested: '#8250df',
};

const style = `body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
th,td{border:1px solid #d0d7de;padding:.4em;vertical-align:top;text-align:left}
th{background:#f6f8fa}.r{font-weight:700;color:#fff;padding:.1em .5em;border-radius:3px;white-space:nowrap}
.pass{background:${colours.pass}}.warn{background:${colours.warn}}
.fail{background:${colours.fail}}.unknown{background:${colours.unknown}}
.attested{background:${colours.attested}}.not_attested{background:${colours.not_attested}}
h2{margin-top:1.5em;border-bottom:1px solid #d0d7de}small{color:#59636e}`;

const badge = (result: Result | null) =>
  result === null ? '<small>—</small>' : `<span class="r ${result}">${result.replace('_', ' ')}</span>`;

function rowHtml(row: AssessmentRow): string {
  const cells = [
    escapeHtml(row.indicator),
    escapeHtml(row.requirement),
    escapeHtml(row.control),
    escapeHtml(row.evidence),
    badge(row.result),
    badge(row.previous),
    escapeHtml(row.advice),
  ];
  return `<tr id="${escapeHtml(row.id)}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export function renderAssessmentHtml(assessment: Assessment): string {
  const when = new Date(assessment.at).toISOString();
  const summary = indicators
    .map((i) => `<tr><td>${escapeHtml(i)}</td><td>${badge(assessment.summary[i])}</td></tr>`)
    .join('');
  const chapters = [...new Set(assessment.rows.map((r) => r.chapter))];
  const sections = chapters.map((chapter) => {
    const rows = assessment.rows.filter((r) => r.chapter === chapter);
    const head =
      '<tr><th>indicator</th><th>requirement</th><th>control in Anfu</th><th>live evidence</th>' +
      '<th>result</th><th>previous</th><th>remediation</th></tr>';
    const title = escapeHtml(`${chapter} ${rows[0]?.chapterTitle ?? ''}`);
    return `<h2>${title}</h2><table>${head}${rows.map(rowHtml).join('')}</table>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Anfu self-assessment ${escapeHtml(when)}</title><style>${style}</style></head>
<body><h1>Anfu security self-assessment</h1>
<p>Run ${escapeHtml(assessment.id)} at ${escapeHtml(when)} by ${escapeHtml(assessment.actor)};
structured by ${escapeHtml(assessment.standard)}
(chapters cited, not reproduced). Previous run: ${escapeHtml(assessment.previousRunId ?? 'none')}.</p>
<h2>Indicators (worst result)</h2><table><tr><th>indicator</th><th>result</th></tr>${summary}</table>
${sections.join('\n')}
</body></html>
`;
}
