import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, Problem, type Page } from '../api';
import { markdown } from '../markdown';
import { Empty, Field, go, isVendor, ProblemBox, useForm, type Me } from '../ui';

interface Course {
  id: string;
  title: string;
  description: string;
  status: string;
  modules: { title: string; content: string }[];
  public_quiz?: { pass_mark_pct: number; questions: { prompt: string; choices: string[]; answers_expected: number }[] } | null;
  certification?: { name: string; valid_days: number } | null;
}
interface Enrollment {
  completed_modules: number[];
  best_score_pct?: number | null;
  passed_at?: string | null;
}
interface Certification {
  id: string;
  name: string;
  user_email: string;
  issued_at: string;
  expires_at: string;
}
interface Attempt {
  score_pct: number;
  passed: boolean;
  attempts_left_today?: number;
  certification?: Certification | null;
}

/** Courses and certifications; vendor admins author courses. */
export function Training(props: { me: Me }) {
  const [courses, setCourses] = useState<Page<Course> | undefined>();
  const [certs, setCerts] = useState<Page<Certification> | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<Page<Course>>('GET', '/v1/courses?limit=100').then(setCourses, setError);
    api<Page<Certification>>('GET', '/v1/certifications?limit=100').then(setCerts, setError);
  }, []);
  const author = props.me.roles.includes('vendor-admin');
  return html`<section>
    <div class="heading"><h1>Training</h1>${author ? html`<a class="button" href="#/training/new">New course</a>` : null}</div>
    <${ProblemBox} error=${error} />
    <h2>Courses</h2>
    ${courses && !courses.items.length ? html`<${Empty}>No course yet.</${Empty}>` : null}
    <ul class="assets">
      ${(courses?.items ?? []).map(
        (c) => html`<li class="card">
          <h3><a href=${`#/training/${c.id}`}>${c.title}</a>${isVendor(props.me) ? html` <span class=${`badge ${c.status}`}>${c.status}</span>` : null}</h3>
          <p>${c.description}</p>
          ${c.certification ? html`<p><small>Certification: ${c.certification.name}, valid ${c.certification.valid_days} days</small></p>` : null}
        </li>`,
      )}
    </ul>
    <h2>${isVendor(props.me) ? 'Certifications' : "Your partner's certifications"}</h2>
    ${certs && !certs.items.length ? html`<${Empty}>No certification yet.</${Empty}>` : null}
    ${certs && certs.items.length
      ? html`<table>
          <thead><tr><th scope="col">Certification</th><th scope="col">Holder</th><th scope="col">Issued</th><th scope="col">Expires</th></tr></thead>
          <tbody>${certs.items.map((c) => html`<tr><td>${c.name}</td><td>${c.user_email}</td><td>${date(c.issued_at)}</td><td>${date(c.expires_at)}</td></tr>`)}</tbody>
        </table>`
      : null}
  </section>`;
}

/** One course: its modules, enrollment, the quiz and its result. */
export function CourseView(props: { me: Me; id: string }) {
  const [course, setCourse] = useState<Course | undefined>();
  const [enrollment, setEnrollment] = useState<Enrollment | null | undefined>();
  const [answers, setAnswers] = useState<number[][]>([]);
  const [result, setResult] = useState<Attempt | undefined>();
  const [error, setError] = useState<unknown>();
  const partner = !isVendor(props.me);
  const loadEnrollment = () =>
    api<Enrollment>('GET', `/v1/courses/${props.id}/enrollments/me`).then(setEnrollment, (e) =>
      e instanceof Problem && e.status === 404 ? setEnrollment(null) : setError(e),
    );
  useEffect(() => {
    api<Course>('GET', `/v1/courses/${props.id}`).then((c) => {
      setCourse(c);
      setAnswers((c.public_quiz?.questions ?? []).map(() => []));
    }, setError);
    if (partner) loadEnrollment();
  }, [props.id]);
  const run = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e);
    }
  };
  if (!course) return html`<section><${ProblemBox} error=${error} /></section>`;
  const choose = (q: number, i: number, single: boolean) => {
    const next = answers.map((a) => [...a]);
    next[q] = single ? [i] : next[q].includes(i) ? next[q].filter((x) => x !== i) : [...next[q], i].sort();
    setAnswers(next);
  };
  return html`<section>
    <h1>${course.title}</h1>
    <p>${course.description}</p>
    <${ProblemBox} error=${error} />
    ${partner && enrollment === null
      ? html`<button type="button" onClick=${() => run(async () => { await api('POST', `/v1/courses/${props.id}/enrollments`, {}); await loadEnrollment(); })}>Enroll</button>`
      : null}
    ${course.status === 'draft' && props.me.roles.includes('vendor-admin')
      ? html`<button type="button" onClick=${() => run(async () => setCourse(await api<Course>('POST', `/v1/courses/${props.id}/publish`, {})))}>Publish</button>`
      : null}
    <h2>Modules</h2>
    <ol class="modules">
      ${course.modules.map(
        (m, i) => html`<li class="card">
          <h3>${m.title}</h3>
          <div class="module-text">${markdown(m.content)}</div>
          ${enrollment
            ? enrollment.completed_modules.includes(i)
              ? html`<p class="ok">Done</p>`
              : html`<button type="button" class="secondary" onClick=${() => run(async () => { await api('POST', `/v1/courses/${props.id}/modules/${i}/complete`, {}); await loadEnrollment(); })}>Mark module ${i + 1} done</button>`
            : null}
        </li>`,
      )}
    </ol>
    ${enrollment && course.public_quiz
      ? html`<form onSubmit=${(e: Event) => {
          e.preventDefault();
          run(async () => {
            setResult(await api<Attempt>('POST', `/v1/courses/${props.id}/attempts`, { answers }));
            await loadEnrollment();
          });
        }}>
          <h2>Quiz <small>(pass mark ${course.public_quiz.pass_mark_pct} %)</small></h2>
          ${course.public_quiz.questions.map(
            (q, qi) => html`<fieldset>
              <legend>${qi + 1}. ${q.prompt}${q.answers_expected > 1 ? ` (choose ${q.answers_expected})` : ''}</legend>
              ${q.choices.map(
                (c, ci) => html`<label class="choice"><input type=${q.answers_expected > 1 ? 'checkbox' : 'radio'} name=${`q${qi}`}
                  checked=${answers[qi]?.includes(ci)} onChange=${() => choose(qi, ci, q.answers_expected === 1)} /> ${c}</label>`,
              )}
            </fieldset>`,
          )}
          <button type="submit">Submit answers</button>
        </form>`
      : null}
    ${result
      ? html`<div role="status" class=${result.passed ? 'ok result' : 'warning result'}>
          <strong>${result.passed ? 'Passed' : 'Not passed'}: ${result.score_pct} %</strong>
          ${result.certification ? html`<p>Certified: ${result.certification.name}, valid until ${date(result.certification.expires_at)}.</p>` : null}
          ${!result.passed && result.attempts_left_today !== undefined ? html`<p>${result.attempts_left_today} attempts left today.</p>` : null}
        </div>`
      : null}
    ${enrollment?.passed_at && !result ? html`<p class="ok">Passed on ${date(enrollment.passed_at)} (best ${enrollment.best_score_pct} %).</p>` : null}
  </section>`;
}

/** A vendor admin writes a course: modules, quiz, certification; saved as a draft. */
export function NewCourse() {
  const { f, set, error, run, err } = useForm({ title: '', description: '', pass: '75', cert: '', days: '365' });
  const [modules, setModules] = useState([{ title: '', content: '' }]);
  const [questions, setQuestions] = useState([{ prompt: '', choices: '', correct: '1' }]);
  const submit = run(async () => {
    const c = await api<Course>('POST', '/v1/courses', {
      title: f.title,
      description: f.description,
      modules,
      quiz: {
        pass_mark_pct: Number(f.pass),
        questions: questions.map((q) => ({
          prompt: q.prompt,
          choices: q.choices.split('\n').map((x) => x.trim()).filter(Boolean),
          correct: q.correct.split(',').map((x) => Number(x.trim()) - 1).filter((x) => Number.isInteger(x) && x >= 0),
        })),
      },
      certification: f.cert ? { name: f.cert, valid_days: Number(f.days) } : undefined,
    });
    go(`/training/${c.id}`);
  });
  return html`<section>
    <h1>New course</h1>
    <form onSubmit=${submit}>
      <${Field} id="course-title" label="Title" value=${f.title} onInput=${set('title')} required error=${err('title')} />
      <${Field} id="course-description" label="Description" value=${f.description} onInput=${set('description')} error=${err('description')} />
      ${modules.map(
        (m, i) => html`<fieldset>
          <legend>Module ${i + 1}</legend>
          <${Field} id=${`module-${i}-title`} label="Module title" value=${m.title} onInput=${(v: string) => setModules(modules.map((x, j) => (j === i ? { ...x, title: v } : x)))} error=${err(`modules[${i}].title`)} />
          <label for=${`module-${i}-content`}>Content (Markdown)</label>
          <textarea id=${`module-${i}-content`} rows="4" value=${m.content} onInput=${(e: Event) => setModules(modules.map((x, j) => (j === i ? { ...x, content: (e.target as HTMLTextAreaElement).value } : x)))}></textarea>
        </fieldset>`,
      )}
      <button type="button" class="secondary" onClick=${() => setModules([...modules, { title: '', content: '' }])}>Add a module</button>
      ${questions.map(
        (q, i) => html`<fieldset>
          <legend>Question ${i + 1}</legend>
          <${Field} id=${`q-${i}-prompt`} label="Question" value=${q.prompt} onInput=${(v: string) => setQuestions(questions.map((x, j) => (j === i ? { ...x, prompt: v } : x)))} error=${err(`quiz.questions[${i}].prompt`)} />
          <label for=${`q-${i}-choices`}>Choices, one per line</label>
          <textarea id=${`q-${i}-choices`} rows="3" value=${q.choices} onInput=${(e: Event) => setQuestions(questions.map((x, j) => (j === i ? { ...x, choices: (e.target as HTMLTextAreaElement).value } : x)))}></textarea>
          <${Field} id=${`q-${i}-correct`} label="Right choices (numbers, comma-separated)" value=${q.correct} onInput=${(v: string) => setQuestions(questions.map((x, j) => (j === i ? { ...x, correct: v } : x)))} error=${err(`quiz.questions[${i}].correct`)} />
        </fieldset>`,
      )}
      <button type="button" class="secondary" onClick=${() => setQuestions([...questions, { prompt: '', choices: '', correct: '1' }])}>Add a question</button>
      <${Field} id="course-pass" label="Pass mark (%)" type="number" value=${f.pass} onInput=${set('pass')} error=${err('quiz.pass_mark_pct')} />
      <${Field} id="course-cert" label="Certification name" value=${f.cert} onInput=${set('cert')} error=${err('certification.name')} />
      <${Field} id="course-days" label="Certification valid for (days)" type="number" value=${f.days} onInput=${set('days')} error=${err('certification.valid_days')} />
      <${ProblemBox} error=${error} />
      <button type="submit">Save draft</button>
    </form>
  </section>`;
}
