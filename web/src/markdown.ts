// A small, safe Markdown subset for course modules: headings, lists,
// paragraphs, **bold**, *italic* and `code`. It builds elements, never HTML
// strings, so content cannot inject markup.
import { html } from 'htm/preact';
import type { VNode } from 'preact';

function inline(text: string): (string | VNode)[] {
  const out: (string | VNode)[] = [];
  const re = /(\*\*[^*]+\*\*|\*[^*]+\*|`[^`]+`)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > last) out.push(text.slice(last, m.index));
    const t = m[0];
    out.push(
      t.startsWith('**') ? html`<strong>${t.slice(2, -2)}</strong>` : t.startsWith('`') ? html`<code>${t.slice(1, -1)}</code>` : html`<em>${t.slice(1, -1)}</em>`,
    );
    last = m.index! + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function markdown(src: string): VNode[] {
  const blocks: VNode[] = [];
  let items: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push(html`<p>${inline(para.join(' '))}</p>`);
    if (items.length) blocks.push(html`<ul>${items.map((i) => html`<li>${inline(i)}</li>`)}</ul>`);
    para = [];
    items = [];
  };
  for (const line of src.split('\n')) {
    const h = /^(#{1,3})\s+(.*)$/.exec(line);
    const li = /^\s*[-*]\s+(.*)$/.exec(line);
    if (h) {
      flush();
      blocks.push(h[1].length === 1 ? html`<h4>${inline(h[2])}</h4>` : html`<h5>${inline(h[2])}</h5>`);
    } else if (li) {
      if (para.length) flush();
      items.push(li[1]);
    } else if (!line.trim()) {
      flush();
    } else {
      if (items.length) flush();
      para.push(line.trim());
    }
  }
  flush();
  return blocks;
}
