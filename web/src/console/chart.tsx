// A grouped bar chart drawn as SVG by our own code (no chart library: a few dozen lines, nothing to
// load from elsewhere, nothing that needs 'unsafe-inline'), and its export as CSV, SVG or PNG. Colours
// are attributes, not style, so the exported SVG stands alone and the page keeps its strict CSP.

export interface ChartRow {
  readonly period: string;
  readonly series: string;
  readonly value: number;
}

const palette = ['#0b57d0', '#b3261e', '#146c2e', '#7c4dff', '#9a6700', '#00696f'];
const width = 640;
const height = 240;
const margin = { left: 56, right: 12, top: 12, bottom: 48 };

/** Rounds the axis top up to 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((s) => s * power >= value) ?? 10;
  return step * power;
}

const label = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

export function BarChart(props: { id: string; title: string; periods: readonly string[]; rows: readonly ChartRow[] }) {
  const series = [...new Set(props.rows.map((r) => r.series))].sort();
  const top = niceMax(Math.max(0, ...props.rows.map((r) => r.value)));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const slot = plotW / Math.max(1, props.periods.length);
  const bar = Math.max(2, (slot * 0.8) / Math.max(1, series.length));
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const summary = `${props.title}: ${props.rows.map((r) => `${r.period} ${r.series} ${label(r.value)}`).join('; ') || '—'}`;
  return (
    <svg
      id={props.id}
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-label={summary}
      font-family="system-ui, sans-serif"
      font-size="11"
    >
      <title>{props.title}</title>
      <rect x="0" y="0" width={width} height={height} fill="#ffffff" />
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={margin.left} x2={width - margin.right} y1={y(top * f)} y2={y(top * f)} stroke="#d0d0d0" />
          <text x={margin.left - 6} y={y(top * f) + 4} text-anchor="end" fill="#555555">
            {label(top * f)}
          </text>
        </g>
      ))}
      {props.periods.map((period, p) => (
        <g key={period}>
          {series.map((name, s) => {
            const value = props.rows.find((r) => r.period === period && r.series === name)?.value;
            if (value === undefined) return null;
            const x = margin.left + p * slot + slot * 0.1 + s * bar;
            return (
              <rect
                key={name}
                x={x}
                y={y(value)}
                width={bar - 1}
                height={Math.max(0, margin.top + plotH - y(value))}
                fill={palette[s % palette.length]}
                data-series={name}
                data-period={period}
                data-value={String(value)}
              />
            );
          })}
          <text x={margin.left + p * slot + slot / 2} y={height - margin.bottom + 14} text-anchor="middle" fill="#555555">
            {period.slice(5)}
          </text>
        </g>
      ))}
      {series.map((name, s) => (
        <g key={name}>
          <rect x={margin.left + s * 150} y={height - 18} width="10" height="10" fill={palette[s % palette.length]} />
          <text x={margin.left + s * 150 + 14} y={height - 9} fill="#1a1a1a">
            {name.length > 22 ? `${name.slice(0, 21)}…` : name}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** A CSV cell: quoted when needed, and never read as a spreadsheet formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function chartCsv(rows: readonly ChartRow[]): string {
  const lines = ['period,series,value', ...rows.map((r) => [r.period, r.series, String(r.value)].map(csvCell).join(','))];
  return `${lines.join('\n')}\n`;
}

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function svgText(id: string): string | undefined {
  const svg = document.getElementById(id);
  return svg === null ? undefined : new XMLSerializer().serializeToString(svg);
}

export function exportCsv(rows: readonly ChartRow[], name: string): void {
  download(new Blob([chartCsv(rows)], { type: 'text/csv;charset=utf-8' }), `${name}.csv`);
}

export function exportSvg(id: string, name: string): void {
  const text = svgText(id);
  if (text !== undefined) download(new Blob([text], { type: 'image/svg+xml' }), `${name}.svg`);
}

/** Draws the SVG on a canvas at twice its size (a blob: image, allowed by img-src) and saves a PNG. */
export async function exportPng(id: string, name: string): Promise<void> {
  const text = svgText(id);
  if (text === undefined) return;
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = width * 2;
    canvas.height = height * 2;
    canvas.getContext('2d')?.drawImage(image, 0, 0, canvas.width, canvas.height);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (png !== null) download(png, `${name}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
