// A text box with a list of options fetched as one types: the WAI-ARIA combobox pattern
// (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/) used by the search box's suggestions and
// the contribute form's organization field.
//
// Keyboard: Down/Up move through the options, Enter chooses one, Escape closes the list.
// Focus stays in the text box; the active option is announced through aria-activedescendant.

import { debounce, h, replace, uniqueId } from './dom.js';

/**
 * Wire `input` as a combobox.
 *  - fetchOptions(text, signal) resolves to [{ id, label, detail? }];
 *  - onSelect(option) is called when one is chosen;
 *  - announce(count) returns the text read to screen readers when options arrive.
 * Returns { close() }.
 */
export function combobox({ input, fetchOptions, onSelect, announce, minLength = 2, delayMs = 200 }) {
  const listbox = h('ul', { id: uniqueId('listbox'), role: 'listbox', class: 'combobox-list', hidden: true });
  const status = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  input.after(listbox, status);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listbox.id);
  input.setAttribute('autocomplete', 'off');

  let options = [];
  let active = -1;
  let controller = null;

  const close = () => {
    controller?.abort();
    fetchLater.cancel();
    listbox.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const setActive = (index) => {
    active = index;
    listbox.querySelectorAll('[role=option]').forEach((element, i) => {
      element.setAttribute('aria-selected', String(i === index));
      if (i === index) element.scrollIntoView({ block: 'nearest' });
    });
    if (index >= 0) input.setAttribute('aria-activedescendant', `${listbox.id}-${index}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const choose = (index) => {
    const option = options[index];
    close();
    if (option) onSelect(option);
  };

  const show = (found) => {
    options = found;
    replace(listbox, found.map((option, i) =>
      h('li', {
        id: `${listbox.id}-${i}`,
        role: 'option',
        'aria-selected': 'false',
        class: 'combobox-option',
        // mousedown, not click: a click would first blur the input and close the list.
        onmousedown: (event) => {
          event.preventDefault();
          choose(i);
        },
      },
      h('span', { class: 'combobox-label' }, option.label),
      option.detail ? h('span', { class: 'combobox-detail' }, option.detail) : null)));
    const open = found.length > 0;
    listbox.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    active = -1;
    status.textContent = announce(found.length);
  };

  const fetchLater = debounce(async () => {
    const text = input.value.trim();
    if (text.length < minLength) return close();
    // Only the newest answer counts: an older, slower one must not replace it.
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    try {
      const found = await fetchOptions(text, mine.signal);
      if (!mine.signal.aborted && document.activeElement === input) show(found);
    } catch (error) {
      if (error.name !== 'AbortError') close(); // suggestions are a help: fail quietly
    }
  }, delayMs);

  input.addEventListener('input', fetchLater);
  input.addEventListener('blur', close);
  input.addEventListener('keydown', (event) => {
    const open = !listbox.hidden && options.length > 0;
    if (event.key === 'ArrowDown' && open) {
      event.preventDefault();
      setActive((active + 1) % options.length);
    } else if (event.key === 'ArrowUp' && open) {
      event.preventDefault();
      setActive(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === 'Enter' && open && active >= 0) {
      event.preventDefault(); // choose the option instead of submitting the form
      choose(active);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      close();
    }
  });

  return { close };
}
