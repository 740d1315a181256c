"""The support console's only browser-side code: the *Copy* button and the keyboard shortcuts.

ipywidgets runs no JavaScript of ours; this small anywidget does (an ES module the front end loads,
no inline handlers, no HTML built from untrusted text). It renders one labelled button that copies
the reply draft (the ``.faq-draft textarea``) to the clipboard, and listens for keys on the page:

* **Alt+A** clicks the top suggestion's *Accept* (``.faq-top-accept``) of the question that has
  the focus, else of the first question whose top suggestion is not accepted yet;
* **Ctrl+Enter** (or Cmd+Enter) in the ticket box (``.faq-ticket textarea``) clicks *Find answers*
  (``.faq-find``).

Each copy increments :attr:`ConsoleKeys.copied` (``copy_failed`` when the browser refused), so the
kernel can say "Copied." The copy reads the text area's current text in the browser, edits not
yet synced included.
"""

from __future__ import annotations

import anywidget
import traitlets

__all__ = ["ConsoleKeys", "ACCEPT_SHORTCUT", "FIND_SHORTCUT"]

#: The shortcuts, as the console's help text names them.
ACCEPT_SHORTCUT = "Alt+A"
FIND_SHORTCUT = "Ctrl+Enter"

_ESM = r"""
function topAccept(root) {
  const active = document.activeElement;
  const block = active && active.closest ? active.closest('.faq-question') : null;
  const inBlock = block ? block.querySelector('.faq-top-accept:not(:disabled)') : null;
  if (inBlock) return inBlock;
  return root.querySelector('.faq-top-accept:not(:disabled)');
}

export default {
  render({ model, el }) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jupyter-button widget-button faq-copy';
    button.textContent = 'Copy';
    button.title = 'Copy the reply draft to the clipboard';
    button.setAttribute('aria-label', 'Copy the reply draft');
    button.addEventListener('click', async () => {
      const area = document.querySelector('.faq-draft textarea');
      const text = area ? area.value : '';
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (err) {
        if (area) {  // older browsers, or no clipboard permission: the selection and execCommand
          area.focus();
          area.select();
          try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
        }
      }
      model.set(ok ? 'copied' : 'copy_failed', model.get(ok ? 'copied' : 'copy_failed') + 1);
      model.save_changes();
    });
    el.appendChild(button);

    const onKey = (event) => {
      const root = document.querySelector('.faq-console');
      if (!root) return;
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyA') {
        const target = topAccept(root);
        if (target) { event.preventDefault(); target.click(); }
      } else if ((event.ctrlKey || event.metaKey) && event.key === 'Enter' &&
                 event.target && event.target.closest && event.target.closest('.faq-ticket')) {
        const find = root.querySelector('button.faq-find');
        if (find) {
          event.preventDefault();
          event.target.dispatchEvent(new Event('change', { bubbles: true }));  // sync the text first
          find.click();
        }
      }
    };
    if (!window.__faqConsoleKeys) {  // one listener per page, however often the widget is shown
      window.__faqConsoleKeys = true;
      document.addEventListener('keydown', onKey, true);  // capture: text boxes stop keydown bubbling
    }
  },
};
"""


class ConsoleKeys(anywidget.AnyWidget):
    """The *Copy* button and the console's keyboard shortcuts (see the module docstring)."""

    _esm = _ESM
    copied = traitlets.Int(0).tag(sync=True)
    copy_failed = traitlets.Int(0).tag(sync=True)
