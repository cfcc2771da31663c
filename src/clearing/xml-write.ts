// Writing ISO 20022 XML: a tiny element builder that escapes every text and attribute, so names and
// references taken from customers can never change the document's structure.
export type XmlNode = string | XmlElement | undefined | false;
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

export function el(name: string, ...children: XmlNode[]): XmlElement {
  return { name, attributes: {}, children };
}

export function elAttrs(name: string, attributes: Record<string, string>, ...children: XmlNode[]): XmlElement {
  return { name, attributes, children };
}

function render(node: XmlNode, out: string[], indent: string): void {
  if (node === undefined || node === false) return;
  if (typeof node === 'string') {
    out.push(escapeXml(node));
    return;
  }
  const attrs = Object.entries(node.attributes)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const kids = node.children.filter((c) => c !== undefined && c !== false);
  if (kids.length === 0) {
    out.push(`${indent}<${node.name}${attrs}/>\n`);
    return;
  }
  if (kids.every((c) => typeof c === 'string')) {
    out.push(`${indent}<${node.name}${attrs}>`);
    for (const c of kids) render(c, out, '');
    out.push(`</${node.name}>\n`);
    return;
  }
  out.push(`${indent}<${node.name}${attrs}>\n`);
  for (const c of kids) render(c, out, `${indent}  `);
  out.push(`${indent}</${node.name}>\n`);
}

/** A whole document in the message's namespace. */
export function documentXml(namespace: string, body: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  render(elAttrs('Document', { xmlns: namespace }, body), out, '');
  return out.join('');
}
