import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, type Page } from '../api';
import { Empty, Field, isVendor, ProblemBox, useForm, type Me } from '../ui';
import { put, type Upload } from '../upload';

interface Asset {
  id: string;
  title: string;
  description: string;
  kind: string;
  tags: string[];
  status: string;
  current_version: number;
  published_at?: string | null;
  expires_at?: string | null;
}

const KINDS = ['document', 'campaign', 'brand', 'price-list', 'co-brandable-template'];
const TIERS = ['registered', 'silver', 'gold', 'platinum'];
const TYPES = ['reseller', 'var', 'distributor', 'msp', 'referral'];
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** The content library: filters, download, share links; vendor staff also upload and publish. */
export function Content(props: { me: Me }) {
  const vendor = isVendor(props.me);
  const [kind, setKind] = useState('');
  const [tag, setTag] = useState('');
  const [page, setPage] = useState<Page<Asset> | undefined>();
  const [error, setError] = useState<unknown>();
  const [ready, setReady] = useState<Record<string, { label: string; url: string }>>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '50' });
    if (kind) q.set('kind', kind);
    if (tag.trim()) q.set('tag', tag.trim());
    api<Page<Asset>>('GET', `/v1/assets?${q}`).then(setPage, setError);
  }, [kind, tag, tick]);
  const download = async (a: Asset) => {
    setError(undefined);
    try {
      const d = await api<{ url: string; expires_at: string }>('POST', `/v1/assets/${a.id}/download`, {});
      setReady({ ...ready, [a.id]: { label: 'Download ready', url: d.url } });
      window.open(d.url, '_blank', 'noopener');
    } catch (e) {
      setError(e);
    }
  };
  const share = async (a: Asset) => {
    setError(undefined);
    try {
      const s = await api<{ url: string; expires_at: string }>('POST', `/v1/assets/${a.id}/shares`, { expires_in_days: 14 });
      setReady({ ...ready, [a.id]: { label: `Share link (until ${date(s.expires_at)})`, url: s.url } });
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h1>Content</h1>
    ${vendor ? html`<${UploadAsset} onDone=${() => setTick(tick + 1)} />` : null}
    <div class="filters">
      <div class="field">
        <label for="kind-filter">Kind</label>
        <select id="kind-filter" value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value)}>
          <option value="">All</option>
          ${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}
        </select>
      </div>
      <${Field} id="tag-filter" label="Tag" value=${tag} onInput=${setTag} />
    </div>
    <${ProblemBox} error=${error} />
    ${page && !page.items.length ? html`<${Empty}>No content matches.</${Empty}>` : null}
    <ul class="assets">
      ${(page?.items ?? []).map(
        (a) => html`<li class="card">
          <h2>${a.title} <span class="badge">${a.kind}</span>${vendor ? html` <span class=${`badge ${a.status}`}>${a.status}</span>` : null}</h2>
          <p>${a.description}</p>
          ${a.tags.length ? html`<p><small>${a.tags.map((t) => `#${t}`).join(' ')}</small></p>` : null}
          <div class="actions">
            <button type="button" onClick=${() => download(a)} aria-label=${`Download ${a.title}`}>Download</button>
            ${vendor ? null : html`<button type="button" class="secondary" onClick=${() => share(a)} aria-label=${`Share ${a.title}`}>Share with a customer</button>`}
          </div>
          ${ready[a.id] ? html`<p role="status">${ready[a.id].label}: <a href=${ready[a.id].url} target="_blank" rel="noopener" data-testid="ready-link">${ready[a.id].url.length > 60 ? `${ready[a.id].url.slice(0, 60)}…` : ready[a.id].url}</a></p>` : null}
        </li>`,
      )}
    </ul>
  </section>`;
}

/** Vendor staff: upload a file as a new asset with its visibility, then publish it. */
function UploadAsset(props: { onDone: () => void }) {
  const { f, set, error, done, run, err } = useForm({ title: '', description: '', kind: 'document', tags: '', regions: '', partners: '' });
  const [tiers, setTiers] = useState<string[]>([]);
  const [types, setTypes] = useState<string[]>([]);
  const [file, setFile] = useState<File | undefined>();
  const [progress, setProgress] = useState<number | undefined>();
  const toggle = (xs: string[], x: string, setter: (v: string[]) => void) => setter(xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x]);
  const submit = run(async () => {
    if (!file) throw new Error('Choose the file to upload.');
    try {
      const created = await api<{ asset: { id: string }; upload: Upload }>('POST', '/v1/assets', {
        title: f.title,
        description: f.description,
        kind: f.kind,
        tags: list(f.tags),
        visibility: { tiers, regions: list(f.regions), partner_types: types, partner_ids: list(f.partners) },
        file: { name: file.name, content_type: file.type || 'application/octet-stream', size_bytes: file.size },
      });
      setProgress(0);
      await put(created.upload, file, setProgress);
      await api('POST', `/v1/assets/${created.asset.id}/publish`, {});
      props.onDone();
      return `"${f.title}" is published.`;
    } finally {
      setProgress(undefined);
    }
  });
  return html`<details class="card" open>
    <summary>Upload an asset</summary>
    <form onSubmit=${submit} class="grid">
      <${Field} id="asset-title" label="Title" value=${f.title} onInput=${set('title')} required error=${err('title')} />
      <${Field} id="asset-description" label="Description" value=${f.description} onInput=${set('description')} error=${err('description')} />
      <div class="field">
        <label for="asset-kind">Kind</label>
        <select id="asset-kind" value=${f.kind} onChange=${(e: Event) => set('kind')((e.target as HTMLSelectElement).value)}>
          ${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}
        </select>
      </div>
      <${Field} id="asset-tags" label="Tags (comma-separated)" value=${f.tags} onInput=${set('tags')} error=${err('tags')} />
      <fieldset>
        <legend>Visible to (nothing chosen: every partner)</legend>
        <div class="checks">${TIERS.map((t) => html`<label><input type="checkbox" checked=${tiers.includes(t)} onChange=${() => toggle(tiers, t, setTiers)} /> ${t}</label>`)}</div>
        <div class="checks">${TYPES.map((t) => html`<label><input type="checkbox" checked=${types.includes(t)} onChange=${() => toggle(types, t, setTypes)} /> ${t}</label>`)}</div>
        <${Field} id="asset-regions" label="Regions (comma-separated)" value=${f.regions} onInput=${set('regions')} error=${err('visibility.regions')} />
        <${Field} id="asset-partners" label="Only these partner ids (comma-separated)" value=${f.partners} onInput=${set('partners')} error=${err('visibility.partner_ids')} />
      </fieldset>
      <div class="field">
        <label for="asset-file">File</label>
        <input id="asset-file" type="file" onChange=${(e: Event) => setFile((e.target as HTMLInputElement).files?.[0])} />
      </div>
      ${progress !== undefined ? html`<label>Uploading <progress max="1" value=${progress}>${Math.round(progress * 100)} %</progress></label>` : null}
      <${ProblemBox} error=${error} />
      ${done ? html`<p class="ok" role="status">${done}</p>` : null}
      <button type="submit" disabled=${progress !== undefined}>Upload and publish</button>
    </form>
  </details>`;
}
