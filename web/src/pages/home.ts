import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, type Page } from '../api';
import { Empty, isVendor, ProblemBox, type Me } from '../ui';

interface Item {
  label: string;
  href: string;
  detail?: string;
}

/** What needs attention now, for the caller's role. */
export function Home(props: { me: Me }) {
  const { me } = props;
  const [sections, setSections] = useState<{ title: string; items: Item[] }[] | undefined>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    (async () => {
      try {
        if (isVendor(me)) {
          const [deals, requests, claims] = await Promise.all([
            api<Page<any>>('GET', '/v1/deals?status=submitted&limit=100'),
            api<Page<any>>('GET', '/v1/mdf/requests?status=submitted&limit=100'),
            api<Page<any>>('GET', '/v1/mdf/claims?status=submitted&limit=100'),
          ]);
          setSections([
            { title: 'Deal registrations to review', items: deals.items.map((d) => ({ label: d.title, href: `/deals/${d.id}`, detail: `registered ${date(d.created_at)}${d.review_overdue ? ' · overdue' : ''}` })) },
            { title: 'Fund requests to review', items: requests.items.map((r) => ({ label: r.title, href: '/approvals', detail: date(r.created_at) })) },
            { title: 'Claims to review', items: claims.items.map((c) => ({ label: `Claim ${c.id.slice(-6)}`, href: '/approvals', detail: date(c.created_at) })) },
          ]);
        } else {
          const soon = Date.now() + 14 * 86_400_000;
          const [leads, deals, announcements, requests, courses] = await Promise.all([
            api<Page<any>>('GET', '/v1/leads?status=assigned&limit=100'),
            api<Page<any>>('GET', '/v1/deals?status=approved&limit=100'),
            api<Page<any>>('GET', '/v1/announcements?limit=5'),
            api<Page<any>>('GET', '/v1/mdf/requests?status=approved&limit=100'),
            api<Page<any>>('GET', '/v1/courses?limit=100'),
          ]);
          const certs = await api<Page<any>>('GET', '/v1/certifications?limit=100');
          const held = new Set(certs.items.filter((c) => c.user_email === me.email).map((c) => c.course_id));
          setSections([
            { title: 'Leads to accept', items: leads.items.map((l) => ({ label: l.company_name, href: '/deals', detail: l.accept_by ? `answer by ${date(l.accept_by)}` : undefined })) },
            {
              title: 'Protection ending within 14 days',
              items: deals.items
                .filter((d) => d.protection_expires_at && Date.parse(d.protection_expires_at) < soon)
                .map((d) => ({ label: d.title, href: `/deals/${d.id}`, detail: `ends ${date(d.protection_expires_at)}` })),
            },
            {
              title: 'Claims due',
              items: requests.items
                .filter((r) => (r.claimable_minor ?? 0) > 0)
                .map((r) => ({ label: r.title, href: '/mdf', detail: r.claim_deadline ? `claim by ${date(r.claim_deadline)}` : undefined })),
            },
            {
              title: 'Courses to finish',
              items: courses.items.filter((c) => !held.has(c.id)).map((c) => ({ label: c.title, href: `/training/${c.id}`, detail: c.certification?.name })),
            },
            { title: 'Announcements', items: announcements.items.map((a) => ({ label: a.title, href: '/', detail: a.body })) },
          ]);
        }
      } catch (e) {
        setError(e);
      }
    })();
  }, [me.sub]);

  return html`<section>
    <h1>${me.partner ? `Welcome, ${me.partner.name}` : 'Channel overview'}</h1>
    <${ProblemBox} error=${error} />
    ${!sections && !error ? html`<p aria-busy="true">Loading…</p>` : null}
    <div class="cards">
      ${(sections ?? []).map(
        (s) => html`<article class="card">
          <h2>${s.title} <span class="count">${s.items.length}</span></h2>
          ${s.items.length
            ? html`<ul>
                ${s.items.map((i) => html`<li><a href=${`#${i.href}`}>${i.label}</a>${i.detail ? html` <small>${i.detail}</small>` : null}</li>`)}
              </ul>`
            : html`<${Empty}>Nothing waiting.</${Empty}>`}
        </article>`,
      )}
    </div>
  </section>`;
}
