// The few building blocks both apps are drawn with: a page frame with the language switch, labelled
// fields, a submit button that shows work in progress, and the box that shows a server refusal.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Problem, Reply } from './api.ts';
import { lang, problemText, setLang } from './i18n.ts';
import { useSignal } from './signal.ts';

export function LangSwitch() {
  const current = useSignal(lang);
  return (
    <button
      type="button"
      class="lang"
      aria-label={current === 'zh' ? 'EN (English)' : '中文 (Chinese)'}
      onClick={() => setLang(current === 'zh' ? 'en' : 'zh')}
    >
      {current === 'zh' ? 'EN' : '中文'}
    </button>
  );
}

export function Frame(props: { title: string; nav?: ComponentChildren; children: ComponentChildren }) {
  useSignal(lang);
  return (
    <div class="frame">
      <header class="bar">
        <span class="brand">安付 Anfu</span>
        <nav aria-label="main">{props.nav}</nav>
        <LangSwitch />
      </header>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </div>
  );
}

export function Field(props: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'tel' | 'password' | 'email' | 'date';
  autocomplete?: string;
  inputMode?: 'numeric' | 'decimal' | 'tel' | 'text';
  required?: boolean;
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        autocomplete={props.autocomplete ?? 'off'}
        inputMode={props.inputMode}
        required={props.required ?? true}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

export function ProblemBox(props: { problem: Problem | undefined }) {
  useSignal(lang);
  if (props.problem === undefined) return null;
  const p = props.problem;
  return (
    <div class="problem" role="alert" data-code={p.code}>
      <strong>{problemText(p.code, p.title)}</strong>
      {p.detail === undefined ? null : <p class="detail">{p.detail}</p>}
      {p.problems === undefined ? null : (
        <ul class="detail">
          {p.problems.map((item, n) => (
            <li key={n} data-code={item.code}>
              <span class="code">{item.code}</span> {item.where}: {item.message}
            </li>
          ))}
        </ul>
      )}
      <small class="code">{p.code}</small>
    </div>
  );
}

/** A form whose submit runs `action` once at a time and shows its refusal, if any. */
export function Form(props: {
  id?: string;
  label: string;
  submit: string;
  action: () => Promise<Reply<unknown> | void>;
  children: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const reply = await props.action();
      if (reply !== undefined && !reply.ok) setProblem(reply.problem);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id={props.id} aria-label={props.label} onSubmit={onSubmit}>
      {props.children}
      <ProblemBox problem={problem} />
      <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
        {props.submit}
      </button>
    </form>
  );
}

export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}
