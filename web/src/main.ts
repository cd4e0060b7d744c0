// The portal: a hash router over the pages, the session, and who the caller is.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { api } from './api';
import { current, signOut, type Session } from './auth';
import { config } from './config';
import { Approvals, DealDetail, DealList, RegisterDeal } from './pages/deals';
import { Content } from './pages/content';
import { Home } from './pages/home';
import { Inbox } from './pages/inbox';
import { Leads } from './pages/leads';
import { Mdf } from './pages/mdf';
import { Partners, PartnerView, Reports } from './pages/partners';
import { SignIn } from './pages/signin';
import { CourseView, NewCourse, Training } from './pages/training';
import { isVendor, Layout, ProblemBox, type Me } from './ui';

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const on = () => setRoute(location.hash.slice(1) || '/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

function page(route: string, me: Me) {
  const deal = /^\/deals\/([0-9A-Za-z]+)$/.exec(route);
  if (route === '/') return html`<${Home} me=${me} />`;
  const course = /^\/training\/([0-9A-Za-z]+)$/.exec(route);
  if (route === '/training') return html`<${Training} me=${me} />`;
  if (route === '/training/new' && me.roles.includes('vendor-admin')) return html`<${NewCourse} />`;
  if (course) return html`<${CourseView} me=${me} id=${course[1]} />`;
  const partner = /^\/partners\/([0-9A-Za-z]+)$/.exec(route);
  if (route === '/partners' && isVendor(me)) return html`<${Partners} me=${me} />`;
  if (partner) return html`<${PartnerView} me=${me} id=${partner[1]} />`;
  if (route === '/reports' && isVendor(me)) return html`<${Reports} />`;
  if (route === '/leads') return html`<${Leads} me=${me} />`;
  if (route === '/notifications') return html`<${Inbox} />`;
  if (route === '/mdf') return html`<${Mdf} me=${me} />`;
  if (route === '/content') return html`<${Content} me=${me} />`;
  if (route === '/deals') return html`<${DealList} me=${me} />`;
  if (route === '/deals/new' && !isVendor(me)) return html`<${RegisterDeal} />`;
  if (deal) return html`<${DealDetail} me=${me} id=${deal[1]} />`;
  if (route === '/approvals' && isVendor(me)) return html`<${Approvals} />`;
  return html`<section><h1>Not found</h1><p>There is no such page. <a href="#/">Home</a></p></section>`;
}

function App(props: { program: string }) {
  const [session, setSession] = useState<Session | undefined>(current());
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<unknown>();
  const route = useRoute();
  useEffect(() => {
    if (!session) return;
    api<Me>('GET', '/v1/me').then(setMe, (e) => {
      setError(e);
      if (e?.status === 401) setSession(undefined);
    });
  }, [session?.idToken]);
  useEffect(() => {
    document.title = `${route === '/' ? 'Home' : route.split('/')[1] ?? ''} · ${props.program}`;
  }, [route]);
  if (!session) return html`<${SignIn} program=${props.program} onSignedIn=${(s: Session) => { setError(undefined); setSession(s); }} />`;
  if (!me) return html`<main id="main"><${ProblemBox} error=${error} />${error ? null : html`<p aria-busy="true">Loading…</p>`}</main>`;
  const out = async () => {
    await signOut();
    setMe(undefined);
    setSession(undefined);
    location.hash = '#/';
  };
  return html`<${Layout} me=${me} program=${props.program} onSignOut=${out}>${page(route, me)}</${Layout}>`;
}

/** A deep link from an email or a notification (`/deals/{id}`, ...) as the page's own route. */
function deepLink(path: string): string {
  const course = /^\/training\/courses\/([0-9A-Za-z]+)/.exec(path);
  if (course) return `/training/${course[1]}`;
  const deal = /^\/deals\/([0-9A-Za-z]+)/.exec(path);
  if (deal) return `/deals/${deal[1]}`;
  for (const section of ['/leads', '/mdf', '/training', '/deals']) if (path.startsWith(section)) return section;
  if (path.startsWith('/program')) return '/reports';
  return '/';
}
if (location.pathname !== '/' && location.pathname !== '/index.html') {
  history.replaceState(null, '', `/#${deepLink(location.pathname)}`);
}

config().then(
  (c) => render(html`<${App} program=${c.program_name} />`, document.getElementById('app')!),
  (e) => {
    document.getElementById('app')!.textContent = `The portal could not start: ${e}`;
  },
);
