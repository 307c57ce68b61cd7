// Compiles one component into a browser script that renders it with its framework's runtime.
// Request JSON on stdin: {framework: "react"|"vue", code, filename}; answer JSON on stdout:
// {js, css} or {error}. Nothing here runs the component: esbuild and @vue/compiler-sfc only
// translate it, and the sealed browser runs it. Imports are limited to the framework itself, so a
// component cannot pull anything else from disk into its bundle.
'use strict';
const path = require('path');
const dir = process.env.REPLICATOR_NODE_MODULES;
const esbuild = require(path.join(dir, 'esbuild'));

const ALLOWED = {
  react: new Set(['react', 'react/jsx-runtime', 'react-dom', 'react-dom/client']),
  vue: new Set(['vue']),
};

function guard(framework) {
  return {
    name: 'only-the-framework',
    setup(build) {
      build.onResolve({ filter: /^virtual:component$/ }, () => ({ path: 'component', namespace: 'component' }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'file' && args.importer && !args.importer.startsWith('virtual')
            && args.importer.includes(path.sep + 'node_modules' + path.sep)) {
          return undefined; // the framework's own files resolve as usual
        }
        if (args.kind === 'entry-point') return undefined;
        if (/\.(css|scss|sass|less)$/.test(args.path)) {
          return { path: args.path, namespace: 'ignored-css' };
        }
        if (ALLOWED[framework].has(args.path)) {
          return undefined; // resolved from the local node_modules as usual
        }
        return { errors: [{ text: `imports "${args.path}", which is not available offline: a component may import only ${[...ALLOWED[framework]].join(', ')}` }] };
      });
      build.onLoad({ filter: /.*/, namespace: 'ignored-css' }, () => ({ contents: '', loader: 'js' }));
    },
  };
}

async function bundle(framework, entry, component, loader) {
  const plugin = guard(framework);
  const source = {
    name: 'component-source',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'component' }, () => ({ contents: component, loader, resolveDir: dir }));
    },
  };
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: dir, loader: 'js', sourcefile: 'preview-entry.js' },
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    legalComments: 'none',
    jsx: 'automatic',
    target: 'es2020',
    logLevel: 'silent',
    define: {
      'process.env.NODE_ENV': '"production"',
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    plugins: [plugin, source],
  });
  return result.outputFiles[0].text;
}

async function react(code) {
  const entry = [
    "import { createElement } from 'react';",
    "import { flushSync } from 'react-dom';",
    "import { createRoot } from 'react-dom/client';",
    "import Component from 'virtual:component';",
    "const root = createRoot(document.getElementById('root'));",
    'flushSync(() => root.render(createElement(Component)));',
  ].join('\n');
  return { js: await bundle('react', entry, code, 'jsx'), css: '' };
}

async function vue(code, filename) {
  const sfc = require(path.join(dir, 'vue', 'compiler-sfc'));
  const { descriptor, errors } = sfc.parse(code, { filename });
  if (errors.length) throw new Error(errors.map((e) => e.message || String(e)).join('; '));
  if (!descriptor.template && !descriptor.scriptSetup && !descriptor.script) {
    throw new Error('the component has no <template> and no <script>');
  }
  const id = 'data-v-preview';
  const scoped = descriptor.styles.some((s) => s.scoped);
  let js;
  if (descriptor.scriptSetup || descriptor.script) {
    const script = sfc.compileScript(descriptor, { id, inlineTemplate: true, isProd: true });
    js = script.content;
    if (!descriptor.scriptSetup && descriptor.template) {
      const template = sfc.compileTemplate({ source: descriptor.template.content, filename, id, scoped });
      if (template.errors.length) throw new Error(template.errors.map(String).join('; '));
      js = js.replace('export default', 'const __component =') + '\n' + template.code
        + '\n__component.render = render;\nexport default __component;';
    }
  } else {
    const template = sfc.compileTemplate({ source: descriptor.template.content, filename, id, scoped });
    if (template.errors.length) throw new Error(template.errors.map(String).join('; '));
    js = template.code + '\nexport default { render };';
  }
  const css = descriptor.styles.map((style) => {
    const out = sfc.compileStyle({ source: style.content, filename, id, scoped: style.scoped });
    if (out.errors.length) throw new Error(out.errors.map(String).join('; '));
    return out.code;
  }).join('\n');
  const entry = [
    "import { createApp } from 'vue';",
    "import Component from 'virtual:component';",
    scoped ? `Component.__scopeId = '${id}';` : '',
    "createApp(Component).mount('#root');",
  ].join('\n');
  return { js: await bundle('vue', entry, js, 'js'), css };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  let out;
  try {
    const req = JSON.parse(input);
    out = req.framework === 'react' ? await react(req.code) : await vue(req.code, req.filename || 'Page.vue');
  } catch (err) {
    const messages = err && err.errors ? err.errors.map((e) => {
      const where = e.location ? ` (line ${e.location.line}, column ${e.location.column + 1})` : '';
      return e.text + where;
    }) : [String(err && err.message ? err.message : err)];
    out = { error: messages.join('; ') };
  }
  process.stdout.write(JSON.stringify(out));
});
