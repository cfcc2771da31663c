// The skeleton of the report: the chapters of JR/T 0122-2018 (非银行支付机构支付业务设施技术要求,
// technical requirements of non-bank payment institutions' payment service facilities) that hold
// the rows. Titles are our short English renderings of the chapter headings, not the standard's text.
export const standard = 'JR/T 0122-2018';

export const chapterTitles: Readonly<Record<string, string>> = {
  '7': 'Functions (功能要求)',
  '8': 'Risk monitoring (风险监控)',
  '9': 'Performance (性能要求)',
  '10.1': 'Security · physical (物理安全)',
  '10.2': 'Security · network (网络安全)',
  '10.3': 'Security · hosts and access control (主机安全)',
  '10.4': 'Security · application (应用安全)',
  '10.5': 'Security · data (数据安全)',
  '10.6': 'Security · operations (运维安全)',
  '10.7': 'Security · business continuity (业务连续性)',
};

export function chapterTitleOf(chapter: string): string {
  return chapterTitles[chapter] ?? chapter;
}

/** Chapters in document order ('10.2' before '10.10'). */
export function compareChapters(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
