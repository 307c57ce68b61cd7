// The code editor of the job page: CodeMirror 6 from node_modules, bundled by esbuild at set-up
// (replicator.assets.build_editor_bundle) and served as /vendor/editor.js. No CDN.
import { EditorView, basicSetup } from 'codemirror';
import { html } from '@codemirror/lang-html';
import { javascript } from '@codemirror/lang-javascript';
import { vue } from '@codemirror/lang-vue';

const LANGUAGES = {
  jsx: () => javascript({ jsx: true }),
  vue: () => vue(),
  html: () => html(),
};

const THEME = EditorView.theme({
  '&': { fontSize: '13px', backgroundColor: '#fff', maxHeight: '70vh' },
  '.cm-scroller': { overflow: 'auto' },
  '&.cm-focused': { outline: '2px solid #2563eb', outlineOffset: '-2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' },
});

// An editor in `parent` holding `doc`; `language` is "html", "jsx" or "vue". It lives in a shadow
// root: CodeMirror styles a document with a <style> element, which the app's CSP (style-src 'self')
// refuses, and a shadow root with a constructed stylesheet, which it allows.
export function createEditor(parent, doc, language) {
  const lang = (LANGUAGES[language] || LANGUAGES.html)();
  const shadow = parent.shadowRoot || parent.attachShadow({ mode: 'open' });
  const host = document.createElement('div');
  shadow.replaceChildren(host);
  const view = new EditorView({
    doc,
    parent: host,
    root: shadow,
    extensions: [basicSetup, lang, THEME, EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': 'Code editor' })],
  });
  // The scroller is reachable by keyboard too (a long page scrolls inside the editor).
  view.scrollDOM.tabIndex = 0;
  view.scrollDOM.setAttribute('aria-label', 'Code, scrollable');
  return view;
}

export function textOf(view) {
  return view.state.doc.toString();
}

export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
