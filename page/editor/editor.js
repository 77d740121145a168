// The playground's code editor: CodeMirror 6 with Python highlighting,
// bundled by esbuild (npm run build) into build/editor.js, which sandpit
// serves as /web/editor.js. Tab indents; Escape then Tab moves focus on,
// as CodeMirror does with indentWithTab; Ctrl/Cmd+Enter calls onRun.

import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

// createEditor puts an editor holding doc into parent. onRun is called on
// Ctrl/Cmd+Enter, onChange with the text after each edit. label names the
// editor for assistive technology. It returns the view, whose text is
// view.state.doc.toString().
export function createEditor(parent, { doc = "", label = "Code", onRun = () => {}, onChange = () => {} } = {}) {
  return new EditorView({
    doc,
    parent,
    extensions: [
      keymap.of([
        { key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true },
        indentWithTab,
      ]),
      basicSetup,
      python(),
      indentUnit.of("    "),
      EditorView.contentAttributes.of({ "aria-label": label }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u.state.doc.toString());
      }),
    ],
  });
}

// setText replaces the whole text of view.
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
