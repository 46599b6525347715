/**
 * A small XML well-formedness check for the SVGs (no XML parser is a dependency): every tag
 * closes in order, attributes are quoted, `&` starts an entity, text holds no `<`.
 * Returns the problem, or undefined when the document is well formed.
 */
export function xmlProblem(xml: string): string | undefined {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  const entity = /&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);/y;
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const c = xml[i];
    if (c === '<') {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      if (!m) return `malformed tag at ${i}: ${xml.slice(i, i + 60)}`;
      const [all, close, name, , selfClose] = m;
      if (close) {
        const open = stack.pop();
        if (open !== name) return `</${name}> closes <${open ?? 'nothing'}> at ${i}`;
      } else if (!selfClose) {
        if (stack.length === 0) roots++;
        stack.push(name as string);
      } else if (stack.length === 0) roots++;
      i += all.length;
    } else if (c === '&') {
      entity.lastIndex = i;
      const m = entity.exec(xml);
      if (!m) return `bare & at ${i}`;
      i += m[0].length;
    } else i++;
  }
  if (stack.length > 0) return `unclosed <${stack.join('> <')}>`;
  if (roots !== 1) return `${roots} root elements`;
  return undefined;
}

/** The text content of every <text> element, entities decoded. */
export function svgTexts(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)) {
    const inner = (m[1] as string).replace(/<[^>]+>/g, ' ');
    out.push(inner.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim());
  }
  return out;
}
