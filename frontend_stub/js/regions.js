// The region picker: province -> regency/city -> kecamatan -> kelurahan/desa, one <select> per
// level, each filled with `regions(parentCode:)` when the level above is chosen.
//
// A Kemendagri code names its ancestors ("32.76.01" is in "32.76", in "32"), so a picker
// can be opened on any code from a URL without asking the server for the path.

import { graphql, REGIONS } from './api.js';
import { h, uniqueId } from './dom.js';
import { t } from './i18n.js';

export const LEVELS = ['PROVINCE', 'REGENCY_CITY', 'KECAMATAN', 'KELURAHAN_DESA'];
export const REGION_CODE = /^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/;

// The hierarchy does not change while the page is open: each list is fetched once.
const cache = new Map();

/** All regions of one level below `parentCode` (or the provinces), every page of them. */
export function childrenOf(parentCode) {
  const key = parentCode ?? '';
  if (!cache.has(key)) {
    const load = async () => {
      const found = [];
      let after = null;
      do {
        const variables = parentCode ? { parentCode, after } : { level: 'PROVINCE', after };
        const { regions } = await graphql(REGIONS, variables);
        found.push(...regions.nodes);
        after = regions.pageInfo.hasNextPage ? regions.pageInfo.endCursor : null;
      } while (after);
      return found;
    };
    cache.set(key, load().catch((error) => {
      cache.delete(key); // let a later attempt try again
      throw error;
    }));
  }
  return cache.get(key);
}

/** The codes from the province down to `code`: "32.76.01" -> ["32", "32.76", "32.76.01"]. */
export function codePath(code) {
  if (!code || !REGION_CODE.test(code)) return [];
  const parts = code.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * A fieldset with the four selects. `onChange(code)` gets the deepest chosen code, or null.
 * `emptyText` is the first option of each select ("All" to filter, "Choose" in a form).
 * Returns { element, value(), setInvalid(describedById) }.
 */
export function regionPicker({ legend, hint, value = null, onChange = () => {}, emptyText = t('region.all') }) {
  const id = uniqueId('region');
  const hintId = hint ? `${id}-hint` : null;
  const status = h('p', { class: 'region-status', role: 'status' });
  const selects = LEVELS.map((level, depth) => {
    const select = h('select', { id: `${id}-${depth}`, name: `${id}-${level}`, disabled: depth > 0, 'aria-describedby': hintId });
    select.addEventListener('change', () => choose(depth, select.value || null));
    return select;
  });
  const fields = LEVELS.map((level, depth) =>
    h('div', { class: 'field region-level' },
      h('label', { for: selects[depth].id }, t(`region.${level}`)), selects[depth]));
  const element = h('fieldset', { class: 'region-picker' },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('div', { class: 'region-levels' }, fields), status);

  let path = [];

  async function fill(depth, parentCode, selected) {
    const select = selects[depth];
    select.replaceChildren(new Option(emptyText, ''));
    select.disabled = true;
    status.textContent = t('region.loading');
    try {
      const regions = await childrenOf(parentCode);
      for (const region of regions) select.add(new Option(region.name, region.code));
      select.value = selected ?? '';
      select.disabled = regions.length === 0;
      status.textContent = '';
    } catch {
      status.textContent = t('region.failed');
    }
  }

  function clearBelow(depth) {
    for (const select of selects.slice(depth)) {
      select.replaceChildren(new Option(emptyText, ''));
      select.disabled = true;
    }
  }

  async function choose(depth, code) {
    path = code ? [...path.slice(0, depth), code] : path.slice(0, depth);
    clearBelow(depth + 1);
    onChange(path.at(-1) ?? null);
    if (code && depth + 1 < LEVELS.length) await fill(depth + 1, code, null);
  }

  // Open on the given code: fill each level along its path.
  (async () => {
    path = codePath(value);
    await fill(0, null, path[0]);
    for (let depth = 1; depth <= path.length && depth < LEVELS.length; depth += 1) {
      await fill(depth, path[depth - 1], path[depth]);
    }
  })();

  return {
    element,
    value: () => path.at(-1) ?? null,
    /** Mark the picker invalid and point it at the error text (or clear with null). */
    setError(errorId) {
      for (const select of selects) {
        if (errorId) {
          select.setAttribute('aria-invalid', 'true');
          select.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
        } else {
          select.removeAttribute('aria-invalid');
          if (hintId) select.setAttribute('aria-describedby', hintId);
          else select.removeAttribute('aria-describedby');
        }
      }
    },
    focus: () => selects[Math.max(0, Math.min(path.length, LEVELS.length - 1))].focus(),
  };
}
